package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
)

// apiClient calls the stack's API over real HTTP as one admin, and checks
// every answer against the OpenAPI document.
type apiClient struct {
	t      *testing.T
	base   string
	token  string
	oas    *openAPIDoc
	bodies *bytes.Buffer // everything the API answered, for the key scan
}

type openAPIDoc struct {
	raw      map[string]any
	compiler *jsonschema.Compiler
	routes   []oasRoute
}

type oasRoute struct {
	method, template string
	re               *regexp.Regexp
}

func loadOpenAPI(t *testing.T, base string) *openAPIDoc {
	t.Helper()
	resp, err := http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("https://peoplesync.example/openapi.json", doc); err != nil {
		t.Fatal(err)
	}
	d := &openAPIDoc{raw: doc.(map[string]any), compiler: c}
	param := regexp.MustCompile(`\\\{[^}]+\\\}`) // a quoted {name}
	for template, item := range d.raw["paths"].(map[string]any) {
		re := regexp.MustCompile("^" + param.ReplaceAllString(regexp.QuoteMeta(template), `[^/]+`) + "$")
		for method := range item.(map[string]any) {
			d.routes = append(d.routes, oasRoute{strings.ToUpper(method), template, re})
		}
	}
	return d
}

// check validates a response body against the documented schema of its
// route and status.
func (d *openAPIDoc) check(t *testing.T, method, path string, status int, body []byte) {
	t.Helper()
	path, _, _ = strings.Cut(path, "?")
	for _, rt := range d.routes {
		if rt.method != method || !rt.re.MatchString(path) {
			continue
		}
		op := d.raw["paths"].(map[string]any)[rt.template].(map[string]any)[strings.ToLower(method)].(map[string]any)
		respDoc, ok := op["responses"].(map[string]any)[fmt.Sprint(status)].(map[string]any)
		if !ok {
			t.Errorf("%s %s answered %d, which the document does not list: %s", method, path, status, body)
			return
		}
		ptr := "#/paths/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(rt.template) + "/" + strings.ToLower(method) + "/responses/" + fmt.Sprint(status)
		if ref, ok := respDoc["$ref"].(string); ok {
			ptr = ref
			respDoc = d.raw["components"].(map[string]any)["responses"].(map[string]any)[strings.TrimPrefix(ref, "#/components/responses/")].(map[string]any)
		}
		if _, hasBody := respDoc["content"]; !hasBody {
			return
		}
		sch, err := d.compiler.Compile("https://peoplesync.example/openapi.json" + ptr + "/content/application~1json/schema")
		if err != nil {
			t.Fatalf("compile schema %s: %v", ptr, err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
		if err != nil {
			t.Errorf("%s %s: not JSON: %s", method, path, body)
			return
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s %s %d does not match its schema: %v\n%s", method, path, status, err, body)
		}
		return
	}
	t.Errorf("%s %s is not in the OpenAPI document", method, path)
}

func (c *apiClient) do(method, path string, body any, header ...string) (int, []byte, http.Header) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("X-Request-Id") == "" {
		c.t.Errorf("%s %s: no X-Request-Id", method, path)
	}
	c.bodies.Write(out)
	if c.oas != nil {
		c.oas.check(c.t, method, path, resp.StatusCode, out)
	}
	return resp.StatusCode, out, resp.Header
}

// must calls and requires the status, decoding the answer into out.
func (c *apiClient) must(want int, method, path string, body, out any, header ...string) http.Header {
	c.t.Helper()
	status, b, h := c.do(method, path, body, header...)
	if status != want {
		c.t.Fatalf("%s %s = %d, want %d: %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return h
}

func serveAPI(t *testing.T, st *stack.Stack) string {
	srv := httptest.NewServer(st.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

func newClient(t *testing.T, st *stack.Stack, base, tenantID, email string, bodies *bytes.Buffer) *apiClient {
	t.Helper()
	token, err := st.Token(tenantID, email)
	if err != nil {
		t.Fatal(err)
	}
	return &apiClient{t: t, base: base, token: token, oas: loadOpenAPI(t, base), bodies: bodies}
}

type runJSON struct {
	RunID, Status, Phase string
	Processed, Total     int
	Counts               map[string]int
	ErrorFile            bool
}

func waitRunHTTP(t *testing.T, c *apiClient, runID string) (runJSON, []runJSON) {
	t.Helper()
	var seen []runJSON
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var r runJSON
		c.must(200, "GET", "/imports/"+runID, nil, &r)
		seen = append(seen, r)
		switch r.Status {
		case "succeeded", "succeeded_with_errors", "failed", "held", "cancelled":
			return r, seen
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("run %s did not finish", runID)
	return runJSON{}, nil
}

// A new tenant walks the whole setup over HTTP and imports.
func TestSetupWizardOverHTTP(t *testing.T) {
	var logs bytes.Buffer
	clk := &clock{now: time.Now()}
	st := newStackLogging(t, clk, peoplehrtest.DemoEmployees(), &logs)
	st.StartConsumers(context.Background())
	base := serveAPI(t, st)
	var bodies bytes.Buffer
	c := newClient(t, st, base, "northwind", "admin@northwind.example", &bodies)
	const key = peoplehrtest.DefaultAPIKey

	var in struct {
		State     string
		Published bool
		Key       *struct{ KeyLast4 string }
		Version   int
	}
	etag := c.must(200, "GET", "/integration", nil, &in).Get("ETag")
	if in.State != "draft" || in.Key != nil || in.Published {
		t.Fatalf("a new tenant: %+v", in)
	}

	// Step 1.
	c.must(200, "PUT", "/integration/settings", map[string]any{
		"frequency": "weekly", "weekday": "Monday", "timeOfDay": "06:30", "timeZone": "Europe/London",
		"dateFormat": "dd/MM/yyyy", "summaryRecipients": []string{"HR@northwind.example"},
	}, &in, "If-Match", etag)
	status, body, _ := c.do("PUT", "/integration/settings", map[string]any{"timeOfDay": "07:00"}, "If-Match", etag)
	if status != 409 {
		t.Errorf("a save on a stale version = %d: %s", status, body)
	}

	// Step 2: a bad key, then the good one.
	status, body, _ = c.do("POST", "/integration/authorization", map[string]any{"apiKey": "6ba7b810-9dad-11d1-80b4-00c04fd430c8"})
	if status != 422 || !strings.Contains(string(body), `"invalid_key"`) {
		t.Errorf("bad key: %d %s", status, body)
	}
	var authz struct {
		Status           string
		KeyLast4         string
		EmployeesVisible int
	}
	c.must(200, "POST", "/integration/authorization", map[string]any{"apiKey": key}, &authz)
	if authz.KeyLast4 != key[len(key)-4:] || authz.EmployeesVisible != len(peoplehrtest.DemoEmployees()) {
		t.Errorf("authorization: %+v", authz)
	}

	// Step 3.
	var fields struct {
		Sources []struct {
			Path     string
			Examples []string
		}
	}
	c.must(200, "GET", "/integration/fields", nil, &fields)
	paths := map[string]bool{}
	for _, f := range fields.Sources {
		paths[f.Path] = true
	}
	if !paths["EmailId"] || !paths["ContactDetail.Mobile"] || !paths["APIColumn2"] || strings.Contains(fmt.Sprint(fields), "BankDetail") {
		t.Errorf("fields: %v", paths)
	}
	status, body, _ = c.do("PUT", "/integration/mapping", map[string]any{"uniqueKey": "EmployeeId", "fields": map[string]string{"firstName": "FirstName"}})
	if status != 400 || !strings.Contains(string(body), `"fields.email"`) {
		t.Errorf("mapping without email: %d %s", status, body)
	}
	c.must(200, "PUT", "/integration/mapping", map[string]any{"uniqueKey": "EmployeeId", "fields": map[string]string{
		"email": "EmailId", "firstName": "FirstName", "lastName": "LastName", "jobTitle": "JobRole",
		"mobile": "ContactDetail.Mobile", "custom1": "APIColumn2",
	}}, nil)

	// Step 4: the dry run writes nothing and predicts the import.
	var review struct {
		Preview struct {
			Counts  map[string]int
			Creates []struct{ EmployeeID string }
		}
	}
	c.must(200, "GET", "/integration/review", nil, &review)
	if len(review.Preview.Creates) != 5 || review.Preview.Counts["created"] == 0 {
		t.Errorf("review: %+v", review.Preview)
	}
	var members struct{ Items []any }
	c.must(200, "GET", "/members", nil, &members)
	if len(members.Items) != 0 {
		t.Fatalf("the dry run wrote %d members", len(members.Items))
	}

	// Publish queues the first import; import now answers with it.
	c.must(200, "POST", "/integration/publish", nil, &in)
	var now runJSON
	if status, body, _ := c.do("POST", "/imports", nil); status != 200 && status != 202 {
		t.Fatalf("import now: %d %s", status, body)
	} else if err := json.Unmarshal(body, &now); err != nil {
		t.Fatal(err)
	}
	done, polls := waitRunHTTP(t, c, now.RunID)
	if fmt.Sprint(done.Counts) != fmt.Sprint(review.Preview.Counts) {
		t.Errorf("the import did %v, the review predicted %v", done.Counts, review.Preview.Counts)
	}
	if done.Status != "succeeded_with_errors" || !done.ErrorFile {
		t.Errorf("run: %+v", done)
	}
	t.Logf("progress seen while polling: %d polls, last %+v", len(polls), polls[len(polls)-1])

	// History, then the error file over plain HTTP.
	var history struct{ Items []runJSON }
	c.must(200, "GET", "/imports", nil, &history)
	if len(history.Items) == 0 || history.Items[0].RunID != now.RunID {
		t.Errorf("history: %+v", history.Items)
	}
	// A search finds an imported member by a surname prefix, in the shape
	// OpenAPI documents (do checks every answer against it).
	type hit struct {
		Fields map[string]string
		Log    string
	}
	var listed, found struct{ Items []hit }
	c.must(200, "GET", "/members?limit=1", nil, &listed)
	if len(listed.Items) != 1 {
		t.Fatalf("no member to search for: %+v", listed)
	}
	who := listed.Items[0].Fields
	c.must(200, "GET", "/members?q="+url.QueryEscape(strings.ToUpper(who["lastName"])), nil, &found)
	if !slices.ContainsFunc(found.Items, func(h hit) bool {
		return h.Fields["employeeId"] == who["employeeId"] && h.Log == "/members/"+url.PathEscape(who["employeeId"])+"/log"
	}) {
		t.Errorf("searching %q did not find %s: %+v", who["lastName"], who["employeeId"], found.Items)
	}
	var link struct{ URL string }
	c.must(200, "GET", "/imports/"+now.RunID+"/errors", nil, &link)
	resp, err := http.Get(link.URL)
	if err != nil {
		t.Fatal(err)
	}
	csvBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(csvBody), "row,employee id,field,message,severity") {
		t.Errorf("error file: %d %.200s", resp.StatusCode, csvBody)
	}

	// A second import now makes a new run; then revoke.
	c.must(202, "POST", "/imports", nil, &now)
	second, _ := waitRunHTTP(t, c, now.RunID)
	if second.Counts["created"] != 0 || second.Counts["unchanged"] != done.Counts["created"] {
		t.Errorf("second import: %+v", second.Counts)
	}
	c.must(200, "DELETE", "/integration/authorization", nil, &in)
	if in.Key != nil {
		t.Errorf("the key survived the revoke")
	}
	status, _, _ = c.do("POST", "/imports", nil)
	if status != 409 {
		t.Errorf("import without a key = %d", status)
	}

	assertKeyNowhere(t, st, key, &logs, &bodies)
}

// assertKeyNowhere looks for the API key in the logs, every response and
// every stored item: only its ciphertext may be stored.
func assertKeyNowhere(t *testing.T, st *stack.Stack, key string, logs, bodies *bytes.Buffer) {
	t.Helper()
	for name, text := range map[string]string{"logs": logs.String(), "responses": bodies.String(), "table": scanTable(t, st)} {
		if strings.Contains(text, key) {
			t.Errorf("the API key appears in the %s", name)
		}
	}
	if logs.Len() == 0 || bodies.Len() == 0 {
		t.Error("nothing was captured: the scan proves nothing")
	}
}
