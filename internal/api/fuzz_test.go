package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/peoplesync/peoplesync/internal/integration"
)

// FuzzDecodeBodies feeds arbitrary bytes to every request body decoder and
// validator: each answers nil or a 4xx *Error, never panics, never 5xx.
func FuzzDecodeBodies(f *testing.F) {
	for _, seed := range []string{
		`{"frequency":"daily","timeOfDay":"06:00","timeZone":"Europe/London"}`,
		`{"summaryRecipients":["a@b.example",7]}`,
		`{"uniqueKey":"EmployeeId","fields":{"email":"EmailId"}}`,
		`{"apiKey":"0f8fad5b-d9cb-469f-a165-70867728950e"}`,
		`{"massChangeThresholdPercent":1e400}`,
		`{"a":` + strings.Repeat(`[`, 1000),
		"\xff\xfe{}",
		`{"frequency":"weekly","weekday":"MONDAY","timeZone":"Local"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		targets := []any{&settingsBody{}, &mappingBody{}, &struct {
			APIKey string `json:"apiKey"`
		}{}}
		for _, dst := range targets {
			r := httptest.NewRequest(http.MethodPut, "/x", strings.NewReader(string(body)))
			r.Header.Set("Content-Type", "application/json")
			err := decode(httptest.NewRecorder(), r, dst)
			check(t, err)
			if sb, ok := dst.(*settingsBody); ok && err == nil {
				st := integration.DefaultSettings()
				for _, p := range sb.apply(&st) {
					if p.Field == "" || p.Message == "" {
						t.Fatalf("a problem without a field or message: %+v", p)
					}
				}
			}
		}
	})
}

func check(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.Status < 400 || e.Status >= 500 {
		t.Fatalf("decode error is not a 4xx: %v", err)
	}
}
