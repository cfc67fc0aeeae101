package platformdev_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/platformdev"
)

const machineToken = "machine-token"

// fakeAPI answers redemptions with what its test sets and records them.
type fakeAPI struct {
	mu     sync.Mutex
	status int
	body   string
	delay  time.Duration
	calls  []call
}

type call struct{ method, path, auth, contentType, token string }

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct{ Token string }
	_ = json.NewDecoder(r.Body).Decode(&body)
	f.mu.Lock()
	f.calls = append(f.calls, call{r.Method, r.URL.EscapedPath(), r.Header.Get("Authorization"), r.Header.Get("Content-Type"), body.Token})
	status, answer, delay := f.status, f.body, f.delay
	f.mu.Unlock()
	time.Sleep(delay)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, answer)
}

func (f *fakeAPI) recorded() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

type env struct {
	api  *fakeAPI
	srv  *platformdev.Server
	logs *bytes.Buffer
}

// newEnv serves a stand-in whose API is a fakeAPI; programme names the
// programmes it knows.
func newEnv(t *testing.T, programme map[string]string) *env {
	t.Helper()
	e := &env{api: &fakeAPI{status: http.StatusOK, body: `{}`}, logs: &bytes.Buffer{}}
	api := httptest.NewServer(e.api)
	t.Cleanup(api.Close)
	cfg := platformdev.Config{
		APIBaseURL: api.URL,
		Token:      func(context.Context) (string, error) { return machineToken, nil },
		Client:     &http.Client{Timeout: 500 * time.Millisecond},
		Log:        slog.New(slog.NewTextHandler(e.logs, nil)),
	}
	if programme != nil {
		cfg.Programme = func(_ context.Context, tenant string) (string, error) {
			if name, ok := programme[tenant]; ok {
				return name, nil
			}
			return "", errors.New("no such programme")
		}
	}
	srv, err := platformdev.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	return e
}

func (e *env) get(target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec
}

func (e *env) post(target string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return rec
}

const token = "tok-Q2hlY2tlZC1zZWNyZXQtdG9rZW4tb2YtNDMtY2hhcnM"

func TestJoinOutcomes(t *testing.T) {
	profile := `{"tenantId":"acme","employeeId":"E1","email":"ada@acme.example","status":"active","access":{"level":"full"},"joinedAt":"2026-03-10T09:00:00Z","fields":{"firstName":"Ada","lastName":"Lovelace"}}`
	refusal := func(code, message string) string {
		b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": message}})
		return string(b)
	}
	for _, c := range []struct {
		name       string
		status     int
		body       string
		delay      time.Duration
		wantStatus int
		want       []string
		wantLog    bool
	}{
		{"joined", 200, profile, 0, 200, []string{"You have joined Acme Perks", "Welcome, Ada!"}, false},
		{"joined by preferred name", 200, `{"status":"active","fields":{"firstName":"Ada","preferredName":"Addie"}}`, 0, 200, []string{"You have joined Acme Perks", "Welcome, Addie!"}, false},
		{"spent", 409, refusal("invitation_spent", "This invitation was used already, or replaced by a newer one."), 0, 409, []string{"This invitation was used already", "ask your programme admin for a new invitation"}, false},
		{"expired shows the API's message", 410, refusal("invitation_expired", "This invitation has expired: ask your programme admin for a new invitation."), 0, 410,
			[]string{"This invitation has expired", "This invitation has expired: ask your programme admin for a new invitation."}, false},
		{"not found", 404, refusal("invitation_not_found", "No such invitation in this programme."), 0, 404, []string{"We do not know this invitation", "opened the whole link"}, false},
		{"left", 403, refusal("member_left", "This member has left the programme."), 0, 403, []string{"Your membership has ended"}, false},
		{"a token refused", 401, refusal("unauthenticated", "A valid platform token is required."), 0, 502, []string{"We could not finish joining"}, false},
		{"an answer without a code", 500, "upstream sadness", 0, 502, []string{"We could not finish joining"}, true},
		{"a hung API", 200, profile, time.Second, 502, []string{"We could not finish joining"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, map[string]string{"acme": "Acme Perks"})
			e.api.status, e.api.body, e.api.delay = c.status, c.body, c.delay
			rec := e.post("/join", url.Values{"tenant": {"acme"}, "token": {token}})
			page := rec.Body.String()
			if rec.Code != c.wantStatus {
				t.Errorf("status %d, want %d", rec.Code, c.wantStatus)
			}
			for _, w := range c.want {
				if !strings.Contains(page, w) {
					t.Errorf("the page lacks %q:\n%s", w, page)
				}
			}
			if strings.Contains(page, "<form") {
				t.Error("an answer offers the Join button again")
			}
			calls := e.api.recorded()
			want := call{http.MethodPost, "/platform/tenants/acme/invitations/redeem", "Bearer " + machineToken, "application/json", token}
			if len(calls) != 1 || calls[0] != want {
				t.Errorf("API calls %+v, want one %+v", calls, want)
			}
			if strings.Contains(page, token) || strings.Contains(e.logs.String(), token) {
				t.Error("the token is echoed in the answer or the logs")
			}
			if got := e.logs.Len() > 0; got != c.wantLog {
				t.Errorf("logged %v, want %v: %s", got, c.wantLog, e.logs)
			}
		})
	}
}

// A GET only offers the button, whatever follows the link (a mail scanner,
// a preview): only the POST of the form redeems, with the form's token.
func TestOnlyThePostRedeems(t *testing.T) {
	for _, c := range []struct {
		name       string
		do         func(e *env) *httptest.ResponseRecorder
		wantStatus int
		wantForm   bool
		wantCalls  int
	}{
		{"the link", func(e *env) *httptest.ResponseRecorder { return e.get("/join?tenant=acme&token=" + token) }, 200, true, 0},
		{"the link without a token", func(e *env) *httptest.ResponseRecorder { return e.get("/join?tenant=acme") }, 400, false, 0},
		{"the link with a bad tenant", func(e *env) *httptest.ResponseRecorder { return e.get("/join?tenant=..%2Fadmin&token=" + token) }, 400, false, 0},
		{"a token too long", func(e *env) *httptest.ResponseRecorder {
			return e.get("/join?tenant=acme&token=" + strings.Repeat("a", 257))
		}, 400, false, 0},
		{"a POST with the token in the address only", func(e *env) *httptest.ResponseRecorder {
			return e.post("/join?tenant=acme&token="+token, url.Values{})
		}, 400, false, 0},
		{"another method", func(e *env) *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			e.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/join?tenant=acme&token="+token, nil))
			return rec
		}, 405, false, 0},
		{"the form", func(e *env) *httptest.ResponseRecorder {
			return e.post("/join", url.Values{"tenant": {"acme"}, "token": {token}})
		}, 200, false, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.api.body = `{"status":"active","fields":{"firstName":"Ada"}}`
			rec := c.do(e)
			if rec.Code != c.wantStatus {
				t.Errorf("status %d, want %d: %s", rec.Code, c.wantStatus, rec.Body)
			}
			page := rec.Body.String()
			form := regexp.MustCompile(`<form method="post" action="/join">\s*<input type="hidden" name="tenant" value="acme">\s*<input type="hidden" name="token" value="` + token + `">\s*<button type="submit" id="join">Join acme</button>`)
			if got := form.MatchString(page); got != c.wantForm {
				t.Errorf("the join form shows: %v, want %v:\n%s", got, c.wantForm, page)
			}
			if n := len(e.api.recorded()); n != c.wantCalls {
				t.Errorf("%d redemptions, want %d", n, c.wantCalls)
			}
		})
	}
}

// What the pages show of the programme, the member and the link is text:
// none of it becomes markup.
func TestPagesEscape(t *testing.T) {
	const evil = `<script>alert(1)</script>"'&`
	programmes := map[string]string{"acme": "Acme " + evil}
	const escapedName = "Acme &lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&amp;"
	for _, c := range []struct {
		name string
		do   func(e *env) *httptest.ResponseRecorder
		want []string
	}{
		{"the offer", func(e *env) *httptest.ResponseRecorder {
			return e.get("/join?tenant=acme&token=" + url.QueryEscape(`"><script>alert(2)</script>`))
		}, []string{escapedName, `value="&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"`}},
		{"the joined page", func(e *env) *httptest.ResponseRecorder {
			b, _ := json.Marshal(map[string]any{"status": "active", "fields": map[string]string{"firstName": "<img src=x onerror=alert(3)>"}})
			e.api.body = string(b)
			return e.post("/join", url.Values{"tenant": {"acme"}, "token": {token}})
		}, []string{escapedName, "Welcome, &lt;img src=x onerror=alert(3)&gt;!"}},
		{"the API's message", func(e *env) *httptest.ResponseRecorder {
			e.api.status, e.api.body = http.StatusGone, `{"error":{"code":"invitation_expired","message":"<b onmouseover=alert(4)>expired</b>"}}`
			return e.post("/join", url.Values{"tenant": {"acme"}, "token": {token}})
		}, []string{"<p>&lt;b onmouseover=alert(4)&gt;expired&lt;/b&gt;</p>"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, programmes)
			page := c.do(e).Body.String()
			for _, bad := range []string{"<script>", "<img", "<b ", `"><`} {
				if strings.Contains(page, bad) {
					t.Errorf("%q reached the page as markup:\n%s", bad, page)
				}
			}
			for _, w := range c.want {
				if !strings.Contains(page, w) {
					t.Errorf("the page lacks %q:\n%s", w, page)
				}
			}
		})
	}
}

// Every page forbids scripts and any style but its own, and keeps its
// address out of Referers and caches.
func TestPagesHeaders(t *testing.T) {
	styleRe := regexp.MustCompile(`(?s)<style>(.*?)</style>`)
	for _, c := range []struct {
		name string
		do   func(e *env) *httptest.ResponseRecorder
	}{
		{"the offer", func(e *env) *httptest.ResponseRecorder { return e.get("/join?tenant=acme&token=" + token) }},
		{"an incomplete link", func(e *env) *httptest.ResponseRecorder { return e.get("/join") }},
		{"joined", func(e *env) *httptest.ResponseRecorder {
			return e.post("/join", url.Values{"tenant": {"acme"}, "token": {token}})
		}},
		{"a refusal", func(e *env) *httptest.ResponseRecorder {
			e.api.status, e.api.body = http.StatusConflict, `{"error":{"code":"invitation_spent","message":"used"}}`
			return e.post("/join", url.Values{"tenant": {"acme"}, "token": {token}})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			rec := c.do(e)
			h := rec.Header()
			m := styleRe.FindStringSubmatch(rec.Body.String())
			if len(m) != 2 || strings.Count(rec.Body.String(), "<style") != 1 {
				t.Fatalf("want one style element:\n%s", rec.Body)
			}
			sum := sha256.Sum256([]byte(m[1]))
			want := "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
			if got := h.Get("Content-Security-Policy"); got != want {
				t.Errorf("CSP %q, want %q", got, want)
			}
			for k, v := range map[string]string{
				"Content-Type": "text/html; charset=utf-8", "Referrer-Policy": "no-referrer",
				"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
			} {
				if got := h.Get(k); got != v {
					t.Errorf("%s %q, want %q", k, got, v)
				}
			}
			if strings.Contains(rec.Body.String(), "<script") || strings.Contains(rec.Body.String(), "src=") {
				t.Error("a page loads a script or an asset")
			}
		})
	}
}

func TestNewRefusesAnIncompleteConfig(t *testing.T) {
	good := func() platformdev.Config {
		return platformdev.Config{
			APIBaseURL: "http://127.0.0.1:8080",
			Token:      func(context.Context) (string, error) { return machineToken, nil },
			Client:     &http.Client{Timeout: time.Second},
			Log:        slog.New(slog.DiscardHandler),
		}
	}
	for _, c := range []struct {
		name   string
		change func(*platformdev.Config)
		ok     bool
	}{
		{"complete", func(*platformdev.Config) {}, true},
		{"no base URL", func(c *platformdev.Config) { c.APIBaseURL = "" }, false},
		{"a base URL without a scheme", func(c *platformdev.Config) { c.APIBaseURL = "127.0.0.1:8080" }, false},
		{"no token function", func(c *platformdev.Config) { c.Token = nil }, false},
		{"no client", func(c *platformdev.Config) { c.Client = nil }, false},
		{"a client without a timeout", func(c *platformdev.Config) { c.Client = &http.Client{} }, false},
		{"no logger", func(c *platformdev.Config) { c.Log = nil }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := good()
			c.change(&cfg)
			if _, err := platformdev.New(cfg); (err == nil) != c.ok {
				t.Errorf("New: %v, want ok %v", err, c.ok)
			}
		})
	}
}
