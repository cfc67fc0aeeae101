package console

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestServesThePageAndItsAssets(t *testing.T) {
	h := Must()
	base := h.AssetBase()
	if !regexp.MustCompile(`^/console/[0-9a-f]{12}/$`).MatchString(base) {
		t.Fatalf("asset base %q", base)
	}
	tests := []struct {
		path, ctype, cache string
		status             int
	}{
		{"/", "text/html; charset=utf-8", "no-cache", 200},
		{base + "app.js", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", 200},
		{base + "console.css", "text/css; charset=utf-8", "public, max-age=31536000, immutable", 200},
		{base + "icon.svg", "image/svg+xml", "public, max-age=31536000, immutable", 200},
		// An older page asking for its assets gets today's, not to be kept.
		{"/console/0123456789ab/app.js", "text/javascript; charset=utf-8", "no-cache", 200},
		{base + "nope.js", "", "no-store", 404},
		{base + "index.html", "", "no-store", 404}, // only at /
		{base + "../console.go", "", "no-store", 404},
		{"/console/", "", "no-store", 404},
		{"/console/app.js", "", "no-store", 404},
	}
	for _, tt := range tests {
		rec := get(t, h, "GET", tt.path)
		if rec.Code != tt.status {
			t.Errorf("GET %s = %d, want %d", tt.path, rec.Code, tt.status)
			continue
		}
		if tt.ctype != "" && rec.Header().Get("Content-Type") != tt.ctype {
			t.Errorf("GET %s: Content-Type %q", tt.path, rec.Header().Get("Content-Type"))
		}
		if got := rec.Header().Get("Cache-Control"); got != tt.cache {
			t.Errorf("GET %s: Cache-Control %q, want %q", tt.path, got, tt.cache)
		}
		for name, want := range map[string]string{
			"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
			"Referrer-Policy": "no-referrer",
		} {
			if got := rec.Header().Get(name); got != want {
				t.Errorf("GET %s: %s %q", tt.path, name, got)
			}
		}
	}

	page := get(t, h, "GET", "/").Body.String()
	if strings.Contains(page, versionMarker) || !strings.Contains(page, `src="`+base+`app.js"`) {
		t.Errorf("index.html does not name the current assets:\n%s", page)
	}
}

func TestRevalidatesWithETag(t *testing.T) {
	h := Must()
	for _, path := range []string{"/", h.AssetBase() + "app.js"} {
		first := get(t, h, "GET", path)
		etag := first.Header().Get("ETag")
		if etag == "" {
			t.Fatalf("GET %s: no ETag", path)
		}
		if again := get(t, h, "GET", path, "If-None-Match", etag); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
			t.Errorf("GET %s If-None-Match = %d with %d bytes", path, again.Code, again.Body.Len())
		}
		if head := get(t, h, "HEAD", path); head.Code != 200 || head.Body.Len() != 0 {
			t.Errorf("HEAD %s = %d with %d bytes", path, head.Code, head.Body.Len())
		}
	}
	if rec := get(t, h, "POST", "/"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d", rec.Code)
	}
}

// The CSP allows no inline script or style and no HTML from strings: the
// sources must not need them, and must keep the token out of localStorage.
func TestAssetsKeepToTheCSP(t *testing.T) {
	forbidden := map[string]*regexp.Regexp{
		"inline script":        regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`),
		"style attribute":      regexp.MustCompile(`\sstyle=`),
		"inline handler":       regexp.MustCompile(`\son[a-z]+=["']`),
		"style element":        regexp.MustCompile(`<style`),
		"javascript: URL":      regexp.MustCompile(`javascript:`),
		"HTML from strings":    regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write`),
		"eval":                 regexp.MustCompile(`\beval\(|new Function\(`),
		"localStorage":         regexp.MustCompile(`localStorage`),
		"style set as an attr": regexp.MustCompile(`setAttribute\(\s*['"]style`),
	}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		for what, re := range forbidden {
			if loc := re.FindIndex(b); loc != nil {
				t.Errorf("%s has %s: %q", p, what, b[max(0, loc[0]-30):min(len(b), loc[1]+30)])
			}
		}
		for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAll(b, -1) {
			if !strings.Contains(string(tag), ` src="`) {
				t.Errorf("%s has a script without src: %s", p, tag)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
