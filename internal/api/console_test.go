package api

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/console"
)

// The console is served without a token at / and /console/; the API's
// routes still want one, and unknown paths still get the error envelope.
func TestConsoleIsMountedBesideTheAPI(t *testing.T) {
	s := &Server{mux: http.NewServeMux(), log: slog.New(slog.DiscardHandler),
		authn: func(*http.Request) (auth.Principal, error) { return auth.Principal{}, errors.New("no token") }}
	s.routes()
	base := console.Must().AssetBase()
	tests := []struct {
		method, path string
		status       int
		ctype        string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8"},
		{"HEAD", "/", 200, "text/html; charset=utf-8"},
		{"GET", base + "app.js", 200, "text/javascript; charset=utf-8"},
		{"GET", base + "missing.js", 404, "text/plain; charset=utf-8"},
		{"GET", "/integration", 401, "application/json"},
		{"GET", "/no/such/route", 404, "application/json"},
		{"GET", "/index.html", 404, "application/json"},
		{"POST", "/", 405, "application/json"},
		{"GET", "/openapi.json", 200, "application/json"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.status || rec.Header().Get("Content-Type") != tt.ctype {
			t.Errorf("%s %s = %d %q, want %d %q", tt.method, tt.path, rec.Code, rec.Header().Get("Content-Type"), tt.status, tt.ctype)
		}
		if rec.Header().Get("X-Request-Id") == "" {
			t.Errorf("%s %s: no X-Request-Id", tt.method, tt.path)
		}
		isConsole := tt.path == "/" && tt.status == 200 || strings.HasPrefix(tt.path, console.Prefix)
		if csp := rec.Header().Get("Content-Security-Policy"); isConsole != (csp != "") {
			t.Errorf("%s %s: CSP %q", tt.method, tt.path, csp)
		}
	}
}
