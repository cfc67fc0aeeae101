package files_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/files"
	"github.com/peoplesync/peoplesync/internal/files/filestest"
	"github.com/peoplesync/peoplesync/internal/integration"
)

var update = flag.Bool("update", false, "rewrite testdata from the encoder")

func put(t *testing.T, issues []engine.Issue) (*filestest.S3, *files.Links) {
	t.Helper()
	bucket := filestest.New()
	if _, err := files.NewStore(bucket, "b").Put(context.Background(), "acme", "r1", issues); err != nil {
		t.Fatal(err)
	}
	return bucket, files.NewLinks(nil, bucket, "b")
}

// all reads every page of a severity with limit, as a client would.
func all(t *testing.T, l *files.Links, sev engine.Severity, limit int) ([]engine.Issue, int) {
	t.Helper()
	var out []engine.Issue
	pages, cursor := 0, ""
	for {
		got, next, err := l.Issues(context.Background(), "acme", "r1", sev, cursor, limit)
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		if len(got) > limit || (next != "" && len(got) != limit) {
			t.Fatalf("page %d has %d issues (limit %d), next %q", pages, len(got), limit, next)
		}
		out, pages = append(out, got...), pages+1
		if next == "" {
			return out, pages
		}
		cursor = next
	}
}

func sample() []engine.Issue {
	return []engine.Issue{
		{Row: 3, EmployeeID: "E3", Field: "email", Message: `"a,b" is not a valid email address`, Severity: engine.SeverityError},
		{EmployeeID: "E9", Message: "not found in PeopleHR\nsecond line", Severity: engine.SeverityWarning},
		// Defuse quotes the first; the second already begins with a quote:
		// their CSV cells read the same, their lines do not.
		{Row: 4, EmployeeID: "=HYPERLINK(\"http://x\")", Field: "firstName", Message: "x", Severity: engine.SeverityError},
		{Row: 5, EmployeeID: "'=1", Field: "lastName", Message: "Zoë 王伟", Severity: engine.SeverityWarning},
		{Row: 6, EmployeeID: "E6", Field: "startDate", Message: "not a date", Severity: engine.SeverityError},
	}
}

func TestIssuesReadBackExactlyBySeverity(t *testing.T) {
	in := sample()
	_, l := put(t, in)
	errs, warns := []engine.Issue{in[0], in[2], in[4]}, []engine.Issue{in[1], in[3]}
	for _, tc := range []struct {
		sev   engine.Severity
		limit int
		want  []engine.Issue
		pages int
	}{
		{"", 100, append(append([]engine.Issue{}, errs...), warns...), 1},
		{"", 2, append(append([]engine.Issue{}, errs...), warns...), 3},
		{"", 5, append(append([]engine.Issue{}, errs...), warns...), 1},
		{engine.SeverityError, 2, errs, 2},
		{engine.SeverityError, 3, errs, 1},
		{engine.SeverityWarning, 1, warns, 2},
		{engine.SeverityWarning, 20, warns, 1},
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.sev, tc.limit), func(t *testing.T) {
			got, pages := all(t, l, tc.sev, tc.limit)
			if !reflect.DeepEqual(got, tc.want) || pages != tc.pages {
				t.Errorf("%d pages of\n%+v\nwant %d of\n%+v", pages, got, tc.pages, tc.want)
			}
		})
	}
}

func TestIssuesOfOneSeverityOnly(t *testing.T) {
	in := sample()
	for _, sev := range []engine.Severity{engine.SeverityError, engine.SeverityWarning} {
		var only []engine.Issue
		for _, is := range in {
			if is.Severity == sev {
				only = append(only, is)
			}
		}
		_, l := put(t, only)
		for _, ask := range []engine.Severity{"", engine.SeverityError, engine.SeverityWarning} {
			got, _ := all(t, l, ask, 2)
			want := only
			if ask != "" && ask != sev {
				want = nil
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("kept %s, asked %q: %+v, want %+v", sev, ask, got, want)
			}
		}
	}
}

// Pages cross reads: 3,000 issues take several reads of the lines, and a
// line longer than one read is read whole.
func TestIssuesAcrossReads(t *testing.T) {
	var in []engine.Issue
	for i := range 3000 {
		sev := engine.SeverityError
		if i%3 == 0 {
			sev = engine.SeverityWarning
		}
		in = append(in, engine.Issue{Row: i + 1, EmployeeID: fmt.Sprintf("E%04d", i), Field: "email", Message: "is not a valid email address", Severity: sev})
	}
	in[1501].Message = strings.Repeat("long ", 40000) // 200 KB: past two reads
	bucket, l := put(t, in)
	if size := len(bucket.Object(files.IssuesKey("acme", "r1"))); size < 3*64<<10 {
		t.Fatalf("the lines are %d bytes: too few to cross reads", size)
	}
	got, pages := all(t, l, engine.SeverityError, 100)
	if len(got) != 2000 || pages != 20 || got[1000] != in[1501] {
		t.Fatalf("%d errors in %d pages", len(got), pages)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Row <= got[i-1].Row {
			t.Fatalf("errors out of order at %d: row %d after %d", i, got[i].Row, got[i-1].Row)
		}
	}
	if warns, _ := all(t, l, engine.SeverityWarning, 100); len(warns) != 1000 || warns[0] != in[0] {
		t.Fatalf("%d warnings", len(warns))
	}
	before := bucket.Gets
	if got, _, err := l.Issues(context.Background(), "acme", "r1", engine.SeverityWarning, "", 100); err != nil || len(got) != 100 || bucket.Gets-before > 2 {
		t.Fatalf("the first page of warnings: %v, %d issues, %d reads", err, len(got), bucket.Gets-before)
	}
}

func TestIssuesRefuseCursorsTheyDidNotGive(t *testing.T) {
	_, l := put(t, sample())
	_, next, err := l.Issues(context.Background(), "acme", "r1", "", "", 1)
	if err != nil || next == "" {
		t.Fatalf("first page: %v, next %q", err, next)
	}
	for _, c := range []string{"nonsense!", "aTE6MQ", "aTE6OTk5OTk", "aTE6LTE", "MTox"} { // i1:1 mid-line, i1:99999, i1:-1, 1:1
		if _, _, err := l.Issues(context.Background(), "acme", "r1", "", c, 1); !errors.Is(err, integration.ErrBadCursor) {
			t.Errorf("cursor %q: %v, want a bad cursor", c, err)
		}
	}
	// Another run's issues are another object: the cursor reads its own.
	if _, _, err := l.Issues(context.Background(), "acme", "r2", "", next, 1); !errors.Is(err, integration.ErrNotFound) {
		t.Errorf("another run: %v, want not found", err)
	}
}

// The lines are a stored format: written today, read the same after any
// refactor (-update rewrites the golden file).
func TestIssuesGolden(t *testing.T) {
	bucket, l := put(t, sample())
	got := bucket.Object(files.IssuesKey("acme", "r1"))
	path := filepath.Join("testdata", "issues-v1.jsonl")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("the stored lines changed: bump issuesFormat and keep reading format 1.\ngot:\n%s\nwant:\n%s", got, want)
	}
	// The golden file reads back as the issues it holds.
	at := 0
	for _, line := range strings.SplitAfter(string(want), "\n") {
		if strings.Contains(line, `"severity":"warning"`) {
			break
		}
		at += len(line)
	}
	g := filestest.New()
	_, err = g.PutObject(context.Background(), &s3.PutObjectInput{Key: aws.String(files.IssuesKey("acme", "r1")), Body: bytes.NewReader(want),
		Metadata: map[string]string{"Issues-Format": "1", "Warnings-At": strconv.Itoa(at)}})
	if err != nil {
		t.Fatal(err)
	}
	in := sample()
	if read, _ := all(t, files.NewLinks(nil, g, "b"), "", 100); !reflect.DeepEqual(read, []engine.Issue{in[0], in[2], in[4], in[1], in[3]}) {
		t.Errorf("the golden lines read as %+v", read)
	}
	if reread, _ := all(t, l, "", 100); !reflect.DeepEqual(reread, []engine.Issue{in[0], in[2], in[4], in[1], in[3]}) {
		t.Errorf("the lines read as %+v", reread)
	}
}
