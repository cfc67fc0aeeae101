package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/chromedp"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// The attack of issue 15: an admin maps NISNumber into a custom field, and
// the NI numbers are stored and served. The sandbox's NI numbers are looked
// for in every API answer of a whole setup and two imports, every logged
// line, every table item and every error file in S3, after attempts to map
// NISNumber every way the API takes a source: found nowhere.
func TestNationalInsuranceNumbersAreNeverRead(t *testing.T) {
	employees := peoplehrtest.DemoEmployees()
	var niNumbers []string
	for _, e := range employees {
		if e.NISNumber != "" {
			niNumbers = append(niNumbers, e.NISNumber)
		}
	}
	if len(niNumbers) == 0 {
		t.Fatal("the sandbox has no NI numbers: the search would prove nothing")
	}
	var logs bytes.Buffer
	st := newStackLogging(t, &clock{now: time.Now()}, employees, &logs)
	st.StartConsumers(context.Background())
	base := serveAPI(t, st)
	var bodies bytes.Buffer
	c := newClient(t, st, base, "privacy", "admin@privacy.example", &bodies)

	c.must(200, "PUT", "/integration/settings", map[string]any{"frequency": "daily", "timeOfDay": "06:30"}, nil)
	c.must(200, "POST", "/integration/authorization", map[string]any{"apiKey": peoplehrtest.DefaultAPIKey}, nil)
	var fields struct{ Sources []struct{ Path string } }
	c.must(200, "GET", "/integration/fields", nil, &fields)
	for _, s := range fields.Sources {
		if strings.EqualFold(s.Path, "NISNumber") {
			t.Errorf("field discovery offers %s", s.Path)
		}
	}

	// Everything that may be mapped is, so that the stored members hold
	// all the service can read.
	full := func(edit func(m map[string]any)) map[string]any {
		m := map[string]any{"uniqueKey": "EmployeeId", "fields": map[string]string{
			"email": "EmailId", "firstName": "FirstName", "lastName": "LastName", "title": "Title", "jobTitle": "JobRole",
			"department": "Department", "location": "Location", "company": "Company", "startDate": "StartDate",
			"dateOfBirth": "DateOfBirth", "mobile": "ContactDetail.Mobile", "managerEmployeeId": "ReportsToEmployeeId",
			"payrollId": "EmploymentDetail.PayrollID", "custom1": "APIColumn1", "custom2": "APIColumn2",
			"custom3": "Gender", "custom4": "ContactDetail.Address", "custom5": "ReasonForLeaving",
		}}
		edit(m)
		return m
	}
	c.must(200, "PUT", "/integration/mapping", full(func(map[string]any) {}), nil)
	c.must(200, "GET", "/integration/review", nil, nil)
	c.must(200, "POST", "/integration/publish", nil, nil)
	var run runJSON
	importNow := func() {
		t.Helper()
		if status, body, _ := c.do("POST", "/imports", nil); status != 200 && status != 202 {
			t.Fatalf("import now: %d %s", status, body)
		} else if err := json.Unmarshal(body, &run); err != nil {
			t.Fatal(err)
		}
		if done, _ := waitRunHTTP(t, c, run.RunID); done.Counts["created"]+done.Counts["unchanged"]+done.Counts["updated"] == 0 || !done.ErrorFile {
			t.Fatalf("run: %+v", done)
		}
	}
	importNow()

	// Every way to name NISNumber is refused with words that say why; the
	// import after them would store whatever one of them let through.
	attempts := []struct {
		field string
		edit  func(m map[string]any)
	}{
		{"fields.custom1", func(m map[string]any) { m["fields"].(map[string]string)["custom1"] = "NISNumber" }},
		{"fields.payrollId", func(m map[string]any) { m["fields"].(map[string]string)["payrollId"] = "nisnumber" }},
		{"uniqueKey", func(m map[string]any) { m["uniqueKey"] = "NISNumber" }},
	}
	for _, a := range attempts {
		status, body, _ := c.do("PUT", "/integration/mapping", full(a.edit))
		if status != 400 || !strings.Contains(string(body), `"field":"`+a.field+`"`) || !strings.Contains(string(body), "national identifier") {
			t.Errorf("mapping NISNumber to %s = %d %s, want 400 saying it is a national identifier", a.field, status, body)
		}
	}
	importNow()
	// Nor may a scope rule read it (after the import: one let through
	// would put every employee out of scope).
	status, body, _ := c.do("PUT", "/integration/settings", map[string]any{"scope": []map[string]any{{"source": "NISNumber", "op": "not_equals", "values": []string{"x"}}}})
	if status != 400 {
		t.Errorf("a scope rule on NISNumber = %d %s, want 400", status, body)
	}

	// Read back everything the API serves.
	c.must(200, "GET", "/integration", nil, nil)
	c.must(200, "GET", "/imports", nil, nil)
	c.must(200, "GET", "/imports/"+run.RunID, nil, nil)
	var link struct{ URL string }
	c.must(200, "GET", "/imports/"+run.RunID+"/errors", nil, &link)
	for cursor, pages := "", 0; pages == 0 || cursor != ""; pages++ {
		var page struct {
			Items      []struct{ Fields map[string]string }
			NextCursor string
		}
		c.must(200, "GET", "/members?cursor="+url.QueryEscape(cursor), nil, &page)
		for _, m := range page.Items {
			c.must(200, "GET", "/members/"+url.PathEscape(m.Fields["employeeId"]), nil, nil)
		}
		cursor = page.NextCursor
	}

	errorFiles := readErrorFiles(t, st.Clients.S3.(*s3.Client), st.WorkerEnv["ERROR_FILES_BUCKET"])
	// Each place searched must hold what it is searched for, or finding
	// nothing would prove nothing: a member's address, the run, the CSV.
	searched := []struct{ where, text, holds string }{
		{"API answers", bodies.String(), "amelia.smith@northwind.example"},
		{"table", scanTable(t, st), "amelia.smith@northwind.example"},
		{"logs", logs.String(), run.RunID},
		{"error files", errorFiles, "row,employee id,field,message,severity"},
	}
	for _, s := range searched {
		where, text := s.where, s.text
		if !strings.Contains(text, s.holds) {
			t.Fatalf("the %s do not hold %q: the search would prove nothing", where, s.holds)
		}
		for _, ni := range niNumbers {
			if strings.Contains(text, ni) {
				t.Errorf("NI number %s found in the %s", ni, where)
			}
		}
	}
}

// readErrorFiles is every object of the error files' bucket, one after
// another.
func readErrorFiles(t *testing.T, client *s3.Client, bucket string) string {
	t.Helper()
	var all strings.Builder
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: &bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list error files: %v", err)
		}
		for _, obj := range page.Contents {
			out, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: obj.Key})
			if err != nil {
				t.Fatalf("get %s: %v", *obj.Key, err)
			}
			body, err := io.ReadAll(out.Body)
			out.Body.Close()
			if err != nil {
				t.Fatalf("read %s: %v", *obj.Key, err)
			}
			fmt.Fprintf(&all, "%s\n%s\n", *obj.Key, body)
		}
	}
	return all.String()
}

// The console's mapping step marks personal fields, shows their examples
// masked and their warning beside the field they are chosen for, and never
// offers a withheld field.
func TestConsoleMappingWarnsOfPersonalData(t *testing.T) {
	employees := peoplehrtest.DemoEmployees()
	st := startWith(t, stack.Options{Employees: employees, Log: testLog(t)})
	base := serveAPI(t, st)
	const tenantID = "maskco"
	if err := st.SeedTenant(context.Background(), stack.Tenant{
		ID: tenantID, ProgrammeName: "Maskco Perks", AdminEmail: "admin@maskco.example", APIKey: peoplehrtest.DefaultAPIKey,
		Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping(),
	}); err != nil {
		t.Fatal(err)
	}
	token, err := st.Token(tenantID, "admin@maskco.example")
	if err != nil {
		t.Fatal(err)
	}
	p := newPage(t)
	p.do("open the console", chromedp.Navigate(base+"/#token="+token))
	p.step("dashboard", chromedp.WaitVisible(chromedp.ID("import-now")))
	p.do("setup", chromedp.Click(chromedp.CSS(`#main-nav a[data-nav="setup"]`)))
	p.step("the steps", chromedp.WaitVisible(chromedp.CSS(`a[href="#/setup/mapping"]`)))
	p.do("the mapping step", chromedp.Click(chromedp.CSS(`a[href="#/setup/mapping"]`)))
	p.step("mapping", chromedp.WaitVisible(chromedp.ID("mapping-form")))
	if eval[bool](p, `[...document.querySelectorAll('#mapping-form option')].some((o) => /^(NISNumber|Nationality|BankDetail)/i.test(o.value))`) {
		t.Error("a withheld field is offered")
	}
	if got := eval[string](p, `document.querySelector('#map-dateOfBirth option[value="DateOfBirth"]').textContent`); got != "DateOfBirth (personal data)" {
		t.Errorf("the date of birth is offered as %q", got)
	}
	if eval[bool](p, `!!document.getElementById('map-email-warning')`) {
		t.Error("the work email carries a personal-data warning")
	}
	eval[bool](p, `(() => { const el = document.getElementById('map-dateOfBirth'); el.value = 'DateOfBirth';
	  el.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`)
	if got := p.text("#map-dateOfBirth-warning"); !strings.Contains(got, "Personal data (a date of birth)") {
		t.Errorf("warning beside the date of birth: %q", got)
	}
	examples := p.text("#map-dateOfBirth-examples")
	if !strings.Contains(examples, "••-••-••") {
		t.Errorf("date of birth examples not masked: %q", examples)
	}
	for _, e := range employees {
		if e.DateOfBirth != "" && strings.Contains(examples, e.DateOfBirth) {
			t.Errorf("date of birth %s shown", e.DateOfBirth)
		}
	}
	p.checkA11y("mapping with a personal field")
}
