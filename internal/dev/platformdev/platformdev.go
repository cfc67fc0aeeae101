package platformdev

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/peoplesync/peoplesync/internal/integration"
)

// Config is what the stand-in needs.
type Config struct {
	// APIBaseURL is the origin serving the platform API (/platform/...),
	// such as the local stack's. The stand-in calls it over HTTP, as the
	// platform's backend calls API Gateway, so the machine token, its scope
	// and the answers are the ones a deployment sees.
	APIBaseURL string
	// Token returns a machine token with auth.ScopeInvitationsRedeem.
	Token func(context.Context) (string, error)
	// Client calls the API. It must have a timeout: a hung API then fails
	// the member's page instead of holding it open.
	Client *http.Client
	// Programme, if not nil, names a tenant's programme for the pages: the
	// API's profile does not carry it. Without it, or when it fails or
	// answers "", the pages name the tenant id.
	Programme func(ctx context.Context, tenant string) (string, error)
	Log       *slog.Logger
}

// Server serves the join page.
type Server struct {
	cfg    Config
	redeem *url.URL
	mux    *http.ServeMux
}

// New builds the stand-in; every field of cfg but Programme is required.
func New(cfg Config) (*Server, error) {
	base, err := url.Parse(cfg.APIBaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("platformdev: the API base URL %q is not an http(s) origin", cfg.APIBaseURL)
	}
	if cfg.Token == nil || cfg.Client == nil || cfg.Log == nil {
		return nil, errors.New("platformdev: a token function, an HTTP client and a logger are required")
	}
	if cfg.Client.Timeout <= 0 {
		return nil, errors.New("platformdev: the HTTP client needs a timeout")
	}
	s := &Server{cfg: cfg, redeem: base, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /join", s.offer)
	s.mux.HandleFunc("POST /join", s.join)
	return s, nil
}

// ServeHTTP answers /join; anything else is 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// maxToken is the longest token the API accepts; a welcome's is 43
// characters.
const maxToken = 256

// offer shows the Join button and nothing more: a GET must not redeem, or
// a mail scanner or link preview following the link would spend the
// invitation before the member sees it.
func (s *Server) offer(w http.ResponseWriter, r *http.Request) {
	tenant, token := r.URL.Query().Get("tenant"), r.URL.Query().Get("token")
	if !validLink(tenant, token) {
		render(w, incomplete())
		return
	}
	prog := s.programme(r.Context(), tenant)
	render(w, view{
		Status: http.StatusOK, Outcome: "invited", Title: "Join " + prog,
		Lines:  []string{"Your employer has invited you to " + prog + ", its benefits programme.", "Press Join to activate your membership."},
		Tenant: tenant, Token: token, Button: "Join " + prog,
	})
}

// join redeems the token of the form, never one in the address.
func (s *Server) join(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		render(w, incomplete())
		return
	}
	tenant, token := r.PostForm.Get("tenant"), r.PostForm.Get("token")
	if !validLink(tenant, token) {
		render(w, incomplete())
		return
	}
	p, err := s.call(r.Context(), tenant, token)
	var ref *refusal
	switch {
	case err == nil:
		render(w, joined(s.programme(r.Context(), tenant), p))
	case errors.As(err, &ref):
		render(w, refused(ref))
	default:
		// Logged without the token: the error names the route, not the body.
		s.cfg.Log.Error("platformdev: redeem failed", "tenantId", tenant, "error", err)
		render(w, view{
			Status: http.StatusBadGateway, Outcome: "failed", Title: "We could not finish joining",
			Lines: []string{"Something went wrong on our side. Open the link in your welcome email again later."},
		})
	}
}

func validLink(tenant, token string) bool {
	return integration.ValidTenantID(tenant) && token != "" && len(token) <= maxToken
}

func (s *Server) programme(ctx context.Context, tenant string) string {
	if s.cfg.Programme == nil {
		return tenant
	}
	name, err := s.cfg.Programme(ctx, tenant)
	if err != nil {
		s.cfg.Log.Warn("platformdev: programme name unknown, showing the tenant id", "tenantId", tenant, "error", err)
	}
	if err != nil || name == "" {
		return tenant
	}
	return name
}

// profile is what the page uses of the member the API answers.
type profile struct {
	Status   string            `json:"status"`
	JoinedAt *time.Time        `json:"joinedAt"`
	Fields   map[string]string `json:"fields"`
}

// refusal is an API answer in its error shape.
type refusal struct {
	status        int
	code, message string
}

func (e *refusal) Error() string {
	return fmt.Sprintf("platform API refused the redemption: %d %s: %s", e.status, e.code, e.message)
}

// maxAnswer bounds what is read of an answer: a profile is a few hundred
// bytes.
const maxAnswer = 64 << 10

// call redeems token over the platform API.
func (s *Server) call(ctx context.Context, tenant, token string) (*profile, error) {
	machine, err := s.cfg.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("machine token: %w", err)
	}
	body, err := json.Marshal(map[string]string{"token": token})
	if err != nil {
		return nil, fmt.Errorf("encode redemption: %w", err)
	}
	route := s.redeem.JoinPath("platform", "tenants", tenant, "invitations", "redeem").String()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, route, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build redemption request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+machine)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("call the platform API: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("read the platform API's answer %d: %w", resp.StatusCode, err)
	}
	if resp.StatusCode == http.StatusOK {
		var p profile
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, fmt.Errorf("decode the platform API's profile: %w", err)
		}
		return &p, nil
	}
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(raw, &e); err != nil || e.Error.Code == "" {
		return nil, fmt.Errorf("the platform API answered %d without an error code", resp.StatusCode)
	}
	return nil, &refusal{status: resp.StatusCode, code: e.Error.Code, message: e.Error.Message}
}

func joined(prog string, p *profile) view {
	name := p.Fields["preferredName"]
	if name == "" {
		name = p.Fields["firstName"]
	}
	greeting := "Welcome!"
	if name != "" {
		greeting = "Welcome, " + name + "!"
	}
	return view{
		Status: http.StatusOK, Outcome: "joined", Title: "You have joined " + prog,
		Lines: []string{greeting, "Your membership is active: your programme admin now sees you as an active member."},
	}
}

// refused words the API's refusals for a member; what a member cannot act
// on (a token without its scope, say) reads as a failure on our side.
func refused(e *refusal) view {
	v := view{Status: e.status, Outcome: e.code}
	switch e.code {
	case "invitation_spent":
		v.Title = "This invitation was used already"
		v.Lines = []string{"If it was you, you are a member already.", "Otherwise ask your programme admin for a new invitation."}
	case "invitation_expired":
		v.Title = "This invitation has expired"
		v.Lines = []string{e.message}
	case "invitation_not_found":
		v.Title = "We do not know this invitation"
		v.Lines = []string{"Check that you opened the whole link from your welcome email.", "If it still does not work, ask your programme admin for a new invitation."}
	case "member_left":
		v.Title = "Your membership has ended"
		v.Lines = []string{"Your programme records you as having left, so this invitation no longer works.", "Ask your programme admin if that is a mistake."}
	default:
		v.Status, v.Outcome = http.StatusBadGateway, "failed"
		v.Title = "We could not finish joining"
		v.Lines = []string{"Something went wrong on our side. Open the link in your welcome email again later."}
	}
	return v
}

func incomplete() view {
	return view{
		Status: http.StatusBadRequest, Outcome: "incomplete", Title: "This link is incomplete",
		Lines: []string{"Open the whole link from your welcome email, or ask your programme admin for a new invitation."},
	}
}

// view is one page. Token, when set, goes only into the form's hidden
// field, so the POST carries it and the address bar of the answer does not.
type view struct {
	Status                 int
	Outcome, Title, Button string
	Lines                  []string
	Tenant, Token          string
}

// style is the pages' only style; the CSP allows it by its hash, so no
// other style or script can run.
const style = `body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f4f4f6}
.banner{margin:0;padding:.5rem 1rem;background:#6b2c00;color:#fff;font-weight:600}
main{max-width:36rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px}
h1{font-size:1.6rem;margin-top:0}
button{font:inherit;font-weight:600;padding:.6rem 1.4rem;border:0;border-radius:6px;background:#0b5cad;color:#fff;cursor:pointer}
button:focus-visible{outline:3px solid #f9a800;outline-offset:2px}`

var (
	csp = "default-src 'none'; style-src 'sha256-" + styleHash() + "'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

	page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · benefits platform (development stand-in)</title>
<style>` + style + `</style>
</head>
<body>
<p class="banner">Development stand-in for the benefits platform: never deployed.</p>
<main data-outcome="{{.Outcome}}">
<h1 id="title">{{.Title}}</h1>
{{range .Lines}}<p>{{.}}</p>
{{end}}{{if .Token}}<form method="post" action="/join">
<input type="hidden" name="tenant" value="{{.Tenant}}">
<input type="hidden" name="token" value="{{.Token}}">
<button type="submit" id="join">{{.Button}}</button>
</form>
{{end}}</main>
</body>
</html>
`))
)

func styleHash() string {
	sum := sha256.Sum256([]byte(style))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func render(w http.ResponseWriter, v view) {
	var buf bytes.Buffer
	if err := page.Execute(&buf, v); err != nil {
		http.Error(w, "the page failed to render", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	// The link's token must not leave in a Referer, nor stay in a cache.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(v.Status)
	_, _ = buf.WriteTo(w) // the member has gone if this fails
}
