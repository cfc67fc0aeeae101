package peoplehr

import (
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
)

// failAfter returns its data, then err instead of io.EOF, as a connection
// reset mid-body reads.
type failAfter struct {
	data string
	err  error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestSkipBOM(t *testing.T) {
	tests := []struct {
		name    string
		r       io.Reader
		want    string
		wantErr error // nil: a clean end
	}{
		{"mark dropped", strings.NewReader("\uFEFF{\"Status\":0}"), `{"Status":0}`, nil},
		{"no mark", strings.NewReader(`{"Status":0}`), `{"Status":0}`, nil},
		{"only the mark", strings.NewReader("\uFEFF"), "", nil},
		{"empty body", strings.NewReader(""), "", nil},
		{"body shorter than a mark", strings.NewReader("{}"), "{}", nil},
		{"half a mark is data", strings.NewReader("\xEF\xBB{}"), "\xEF\xBB{}", nil},
		{"second mark is data", strings.NewReader("\uFEFF\uFEFF{}"), "\uFEFF{}", nil},
		{"mark in one-byte reads", iotest.OneByteReader(strings.NewReader("\uFEFF{}")), "{}", nil},
		{"reset inside the mark", &failAfter{"\xEF", syscall.ECONNRESET}, "\xEF", syscall.ECONNRESET},
		{"reset after the mark", &failAfter{"\uFEFF{\"Sta", syscall.ECONNRESET}, `{"Sta`, syscall.ECONNRESET},
		{"transport cut-off inside the mark", &failAfter{"\xEF\xBB", io.ErrUnexpectedEOF}, "\xEF\xBB", io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := io.ReadAll(&skipBOM{r: tt.r})
			if string(got) != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("read %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
	t.Run("behaves as an io.Reader", func(t *testing.T) {
		body := `{"isError":false,"Status":0,"Result":[{"EmployeeId":"PW1"},{"EmployeeId":"PW2"}]}`
		if err := iotest.TestReader(&skipBOM{r: strings.NewReader("\uFEFF" + body)}, []byte(body)); err != nil {
			t.Error(err)
		}
	})
}
