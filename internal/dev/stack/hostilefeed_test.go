package stack_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/peoplesync/peoplesync/internal/integration"
)

// PeopleHR records with hostile values (formula prefixes, control
// characters, a 10 MB string, emoji, right-to-left marks) never break the
// run, the members or the error file.
func TestHostileFeedNeverBreaksTheRunOrTheCSV(t *testing.T) {
	es := staff(6)
	es[0].FirstName = strings.Repeat("Ж", 5<<20) // 10 MB of UTF-8
	es[1].FirstName, es[1].LastName = "\x00Ann\x1b[2J\r\n", "\u202eevil.exe"
	es[2].JobRole, es[2].Department = "👩‍💻 Engineer", "@SUM(A1)"
	es[3].EmployeeID, es[3].EmailID = "=HYPERLINK(\"http://x\",\"click\")", ""
	es[4].EmailID = strings.Repeat("a", 300) + "@acme.example"
	es[5].APIColumn1 = "-1+2\t=3"
	clk := &clock{now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	st := newStack(t, clk, es, nil)
	seedAcme(t, st)
	run, err := st.Worker.Run(context.Background(), integration.Job{TenantID: tenant, RunID: integration.NewRunID(clk.Now()), Trigger: integration.TriggerManual})
	if err != nil || run.Status != integration.StatusSucceededWithErrors || run.Counts.Created != 4 || run.Counts.Errors != 2 {
		t.Fatalf("run: %v %s %+v", err, run.Status, run.Counts)
	}
	for id, m := range members(t, st) {
		for f, v := range m.Values.Unpack() {
			if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) || len(v) > 1024 {
				t.Errorf("%s field %d holds %.40q", id, f, v)
			}
		}
	}
	token, err := st.Token(tenant, "admin@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	base := serveAPI(t, st)
	c := &apiClient{t: t, base: base, token: token, bodies: &bytes.Buffer{}}
	var link struct{ URL string }
	c.must(200, "GET", "/imports/"+run.RunID+"/errors", nil, &link)
	resp, err := http.Get(link.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(body) > 64<<10 {
		t.Errorf("error file of %d bytes for 6 employees", len(body))
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("the error file is not valid CSV: %v", err)
	}
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("unescaped cell %q", cell)
			}
		}
	}
}
