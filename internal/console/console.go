package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// Prefix is where the assets are served: /console/<version>/<file>. The
// version is a hash of every asset, so a browser may keep them for a year
// and a new build is fetched at once.
const Prefix = "/console/"

// versionMarker in index.html is replaced by the assets' path.
const versionMarker = "/console/VERSION/"

// CSP allows the page's own scripts, styles and API calls and nothing
// else: no inline script or style, no framing, and DOM sinks that take
// strings (innerHTML) refuse them, so data from PeopleHR is only ever text.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; " +
	"require-trusted-types-for 'script'; trusted-types 'none'"

type asset struct {
	body        []byte
	etag        string
	contentType string
}

// Handler serves the console.
type Handler struct {
	version string
	index   asset
	files   map[string]asset // by name under static/
}

var _ http.Handler = (*Handler)(nil)

// New reads the embedded assets once.
func New() (*Handler, error) {
	h := &Handler{files: map[string]asset{}}
	sum := sha256.New()
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum.Write([]byte(name))
		sum.Write(b)
		h.files[name] = newAsset(name, b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	h.version = hex.EncodeToString(sum.Sum(nil))[:12]
	index, ok := h.files["index.html"]
	if !ok {
		return nil, fs.ErrNotExist
	}
	delete(h.files, "index.html")
	h.index = newAsset("index.html", bytes.ReplaceAll(index.body, []byte(versionMarker), []byte(h.AssetBase())))
	return h, nil
}

// Must is New for package-level use: the assets are compiled in, so an
// error is a broken build.
func Must() *Handler {
	h, err := New()
	if err != nil {
		panic("console: " + err.Error())
	}
	return h
}

func newAsset(name string, b []byte) asset {
	sum := sha256.Sum256(b)
	ct := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".js":
		ct = "text/javascript; charset=utf-8"
	case ".html":
		ct = "text/html; charset=utf-8"
	case ".css":
		ct = "text/css; charset=utf-8"
	case ".svg":
		ct = "image/svg+xml"
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	return asset{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, contentType: ct}
}

// AssetBase is the path the current assets are served under.
func (h *Handler) AssetBase() string { return Prefix + h.version + "/" }

// ServeHTTP serves the page at / and the assets under Prefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path == "/" {
		// Revalidated every time (a 304 when unchanged), so a new build
		// reaches every admin on their next visit.
		h.serve(w, r, h.index, "no-cache")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, Prefix)
	version, name, ok2 := strings.Cut(rest, "/")
	a, found := h.files[name]
	if !ok || !ok2 || !found {
		hd.Set("Cache-Control", "no-store")
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	cache := "public, max-age=31536000, immutable"
	if version != h.version {
		// A page of an older build asking for its assets gets today's,
		// not to be kept.
		cache = "no-cache"
	}
	h.serve(w, r, a, cache)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, a asset, cache string) {
	w.Header().Set("Content-Type", a.contentType)
	w.Header().Set("Cache-Control", cache)
	w.Header().Set("ETag", a.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
