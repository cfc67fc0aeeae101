package stack_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/localissuer"
	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
)

// Another tenant's admin, with their own valid token, tries every route
// with the first tenant's run ids and employee ids: 404, 403 or 409 with
// no data, never 2xx with the first tenant's. Tokens that are not the
// platform's get 401 everywhere.
func TestTenantsCannotReachEachOther(t *testing.T) {
	clk := &clock{now: time.Now()}
	st := newStack(t, clk, peoplehrtest.DemoEmployees(), nil)
	st.StartConsumers(context.Background())
	base := serveAPI(t, st)
	var bodies bytes.Buffer
	acme := newClient(t, st, base, "acme", "admin@acme.example", &bodies)

	// Acme is set up and has imported, with a held-looking history to aim at.
	acme.must(200, "POST", "/integration/authorization", map[string]any{"apiKey": peoplehrtest.DefaultAPIKey}, nil)
	var run runJSON
	acme.must(202, "POST", "/imports", nil, &run)
	done, _ := waitRunHTTP(t, acme, run.RunID)
	if done.Status != "succeeded_with_errors" {
		t.Fatalf("acme's import: %+v", done)
	}
	acmeMember := "PW0001"
	acme.must(200, "GET", "/members/"+acmeMember, nil, nil)

	globex := newClient(t, st, base, "globex", "admin@globex.example", &bodies)
	secret := []string{"amelia.smith@northwind.example", run.RunID, peoplehrtest.DefaultAPIKey[len(peoplehrtest.DefaultAPIKey)-4:]}
	probes := []struct{ method, path string }{
		{"GET", "/imports/" + run.RunID},
		{"GET", "/imports/" + run.RunID + "/errors"},
		{"GET", "/imports/" + run.RunID + "/errors?redirect=true"},
		{"POST", "/imports/" + run.RunID + "/approve"},
		{"POST", "/imports/" + run.RunID + "/discard"},
		{"GET", "/members/" + acmeMember},
		{"GET", "/imports/..%2F..%2FT%23acme%23R/errors"},
		{"GET", "/members/%2E%2E"},
	}
	for _, p := range probes {
		status, body, _ := globex.do(p.method, p.path, nil)
		if status < 400 || status >= 500 && status != 503 {
			t.Errorf("globex %s %s = %d: %s", p.method, p.path, status, body)
		}
		for _, s := range secret {
			if strings.Contains(string(body), s) {
				t.Errorf("globex %s %s leaked %q: %s", p.method, p.path, s, body)
			}
		}
	}
	// Globex's own views show nothing of acme's.
	for _, path := range []string{"/integration", "/imports", "/members"} {
		status, body, _ := globex.do("GET", path, nil)
		if status != 200 {
			t.Errorf("globex GET %s = %d", path, status)
		}
		for _, s := range secret {
			if strings.Contains(string(body), s) {
				t.Errorf("globex GET %s shows acme's %q", path, s)
			}
		}
	}
	// Globex cannot use acme's history cursor to read acme's runs.
	var page struct{ NextCursor string }
	acme.must(200, "GET", "/imports?limit=1", nil, &page)
	if status, body, _ := globex.do("GET", "/imports?limit=1&cursor=UiMy", nil); status == 200 && strings.Contains(string(body), run.RunID) {
		t.Errorf("a cursor crossed tenants: %s", body)
	}

	// No token, a garbage token, a token from another issuer, a token for
	// an invalid tenant: 401 on every route.
	forged := &apiClient{t: t, base: base, bodies: &bodies}
	other, err := otherIssuerToken()
	if err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{"", "garbage", other} {
		forged.token = token
		for _, p := range append(probes, struct{ method, path string }{"GET", "/integration"}, struct{ method, path string }{"POST", "/imports"}) {
			status, body, _ := forged.do(p.method, p.path, nil)
			if status != http.StatusUnauthorized {
				t.Errorf("token %.10q: %s %s = %d: %s", token, p.method, p.path, status, body)
			}
		}
	}
}

// otherIssuerToken is a well-formed token for tenant acme signed by a key
// the API does not trust.
func otherIssuerToken() (string, error) {
	iss, err := localissuer.New(localissuer.DefaultIssuer, localissuer.DefaultAudience)
	if err != nil {
		return "", err
	}
	return iss.Token("acme", "admin@acme.example", time.Hour)
}
