package localissuer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/dev/localissuer"
)

func newIssuer(t *testing.T) *localissuer.Issuer {
	t.Helper()
	iss, err := localissuer.New(localissuer.DefaultIssuer, localissuer.DefaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

func TestTokenVerifiesAgainstServedJWKS(t *testing.T) {
	iss := newIssuer(t)
	srv := httptest.NewServer(iss.JWKSHandler())
	defer srv.Close()
	v, err := auth.NewVerifier(iss.Issuer(), iss.Audience(), auth.NewJWKS(srv.URL, srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	// The longest token the issuer signs (make local's) must verify.
	token, err := iss.Token("demo", "Admin@Northwind.example", auth.MaxTokenLifetime)
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(context.Background(), token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if want := (auth.Principal{TenantID: "demo", Email: "admin@northwind.example"}); p != want {
		t.Fatalf("principal = %+v, want %+v", p, want)
	}

	// The token carries what SPEC section 4 and API Gateway's authorizer
	// expect: a kid, a string aud, sub = email.
	parts := strings.Split(token, ".")
	var header, claims map[string]any
	decodeSegment(t, parts[0], &header)
	decodeSegment(t, parts[1], &claims)
	if header["alg"] != "RS256" || header["kid"] == "" || header["kid"] == nil {
		t.Errorf("header = %v", header)
	}
	if claims["aud"] != localissuer.DefaultAudience || claims["sub"] != "admin@northwind.example" ||
		claims["tenant_id"] != "demo" || claims["iss"] != localissuer.DefaultIssuer {
		t.Errorf("claims = %v", claims)
	}
	for _, c := range []string{"iat", "nbf", "exp"} {
		if _, ok := claims[c].(float64); !ok {
			t.Errorf("claim %s = %v, want a number", c, claims[c])
		}
	}

	// Expiry is the ttl: the same token a day later is refused.
	later, err := auth.NewVerifier(iss.Issuer(), iss.Audience(), iss.Keys(),
		auth.WithClock(func() time.Time { return time.Now().Add(24 * time.Hour) }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := later.Verify(context.Background(), token); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("Verify a day later err = %v, want ErrUnauthenticated", err)
	}
}

func TestTokenFromAnotherIssuerKeyIsRefused(t *testing.T) {
	iss, other := newIssuer(t), newIssuer(t)
	v, err := auth.NewVerifier(iss.Issuer(), iss.Audience(), iss.Keys())
	if err != nil {
		t.Fatal(err)
	}
	token, err := other.Token("demo", "admin@northwind.example", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), token); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("Verify err = %v, want ErrUnauthenticated", err)
	}
}

func TestTokenRefusesBadInput(t *testing.T) {
	iss := newIssuer(t)
	for _, tc := range []struct {
		tenant, email string
		ttl           time.Duration
	}{
		{"", "admin@northwind.example", time.Hour},
		{"demo#x", "admin@northwind.example", time.Hour},
		{"demo", "", time.Hour},
		{"demo", "not-an-email", time.Hour},
		{"demo", "admin@northwind.example", 0},
		{"demo", "admin@northwind.example", -time.Minute},
		{"demo", "admin@northwind.example", auth.MaxTokenLifetime + time.Second},
	} {
		if tok, err := iss.Token(tc.tenant, tc.email, tc.ttl); err == nil {
			t.Errorf("Token(%q, %q, %v) = %q, want an error", tc.tenant, tc.email, tc.ttl, tok)
		}
	}
}

func TestLoadOrCreateKeepsTheKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo", ".local")
	path := filepath.Join(dir, "issuer.pem")
	first, err := localissuer.LoadOrCreate(path, localissuer.DefaultIssuer, localissuer.DefaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("key file mode = %v, want 0600", mode)
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("key directory: %v, %v; want mode 0700", info.Mode().Perm(), err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Errorf("key directory holds %v (%v), want only the key", entries, err)
	}

	second, err := localissuer.LoadOrCreate(path, localissuer.DefaultIssuer, localissuer.DefaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	if kid(t, first) != kid(t, second) || string(first.JWKS()) != string(second.JWKS()) {
		t.Fatalf("second load has another key: %s vs %s", first.JWKS(), second.JWKS())
	}
	// A token signed before a restart still verifies after it.
	token, err := first.Token("demo", "admin@northwind.example", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(second.Issuer(), second.Audience(), second.Keys())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), token); err != nil {
		t.Fatalf("Verify after reload: %v", err)
	}
}

func TestLoadOrCreateRefusesBadKeyFiles(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{
		"not PEM":    []byte("hello"),
		"wrong type": pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}}),
		"bad DER":    pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}),
		"EC key":     pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "issuer.pem")
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := localissuer.LoadOrCreate(path, localissuer.DefaultIssuer, localissuer.DefaultAudience); err == nil {
				t.Fatal("LoadOrCreate accepted a bad key file")
			}
			// A bad file is reported, never replaced: it may be someone's key.
			if got, _ := os.ReadFile(path); string(got) != string(content) {
				t.Fatal("LoadOrCreate overwrote the key file")
			}
		})
	}
}

func TestJWKSHandler(t *testing.T) {
	iss := newIssuer(t)
	rec := httptest.NewRecorder()
	iss.JWKSHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/jwks.json", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" ||
		rec.Body.String() != string(iss.JWKS()) {
		t.Fatalf("GET = %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	rec = httptest.NewRecorder()
	iss.JWKSHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/jwks.json", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST = %d, want 405", rec.Code)
	}
	// JWKS hands out a copy: a caller cannot change what is served.
	doc := iss.JWKS()
	doc[0] = 'x'
	if iss.JWKS()[0] != '{' {
		t.Fatal("JWKS returned the served slice")
	}
}

func kid(t *testing.T, iss *localissuer.Issuer) string {
	t.Helper()
	var doc struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(iss.JWKS(), &doc); err != nil || len(doc.Keys) != 1 || doc.Keys[0].Kid == "" {
		t.Fatalf("JWKS %s: %v", iss.JWKS(), err)
	}
	return doc.Keys[0].Kid
}

func decodeSegment(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// The kid is the first 8 bytes of SHA-256 over the public key's DER, so
// anyone holding the JWKS can check which key a token names.
func TestKidIsKeyDigest(t *testing.T) {
	iss := newIssuer(t)
	var doc struct {
		Keys []struct{ Kid, N, E string } `json:"keys"`
	}
	if err := json.Unmarshal(iss.JWKS(), &doc); err != nil || len(doc.Keys) != 1 {
		t.Fatalf("JWKS %s: %v", iss.JWKS(), err)
	}
	k := doc.Keys[0]
	n, errN := base64.RawURLEncoding.DecodeString(k.N)
	e, errE := base64.RawURLEncoding.DecodeString(k.E)
	if errN != nil || errE != nil {
		t.Fatalf("decode n, e: %v, %v", errN, errE)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	if want := base64.RawURLEncoding.EncodeToString(sum[:8]); k.Kid != want {
		t.Fatalf("kid = %q, want %q", k.Kid, want)
	}
}

func TestMachineTokenVerifiesForThePlatformOnly(t *testing.T) {
	iss := newIssuer(t)
	platform, err := auth.NewVerifier(iss.Issuer(), localissuer.DefaultPlatformAudience, iss.Keys())
	if err != nil {
		t.Fatal(err)
	}
	admin, err := auth.NewVerifier(iss.Issuer(), iss.Audience(), iss.Keys())
	if err != nil {
		t.Fatal(err)
	}
	scopes := []string{auth.ScopeMembersRead, auth.ScopeInvitationsRedeem}
	token, err := iss.MachineToken(localissuer.DefaultPlatformAudience, "local-platform", scopes, auth.MaxTokenLifetime)
	if err != nil {
		t.Fatal(err)
	}
	m, err := platform.VerifyMachine(context.Background(), token)
	if err != nil {
		t.Fatalf("VerifyMachine: %v", err)
	}
	if m.Client != "local-platform" || !m.Has(auth.ScopeMembersRead) || !m.Has(auth.ScopeInvitationsRedeem) || len(m.Scopes) != 2 {
		t.Fatalf("machine = %+v", m)
	}
	var claims map[string]any
	decodeSegment(t, strings.Split(token, ".")[1], &claims)
	if claims["aud"] != localissuer.DefaultPlatformAudience || claims["sub"] != "local-platform" ||
		claims["client_id"] != "local-platform" || claims["scope"] != auth.ScopeMembersRead+" "+auth.ScopeInvitationsRedeem {
		t.Errorf("claims = %v", claims)
	}
	for _, c := range []string{"tenant_id", "email"} {
		if _, ok := claims[c]; ok {
			t.Errorf("machine token has a %s claim", c)
		}
	}
	if _, err := admin.Verify(context.Background(), token); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("admin Verify of a machine token err = %v, want ErrUnauthenticated", err)
	}

	adminToken, err := iss.Token("demo", "admin@northwind.example", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := platform.VerifyMachine(context.Background(), adminToken); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("VerifyMachine of an admin token err = %v, want ErrUnauthenticated", err)
	}
	// Even a verifier for the admin audience does not take an admin token
	// as a machine one.
	if _, err := admin.VerifyMachine(context.Background(), adminToken); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("VerifyMachine of an admin token for its own audience err = %v, want ErrUnauthenticated", err)
	}
}

func TestMachineTokenRefusesBadInput(t *testing.T) {
	iss := newIssuer(t)
	aud, scopes := localissuer.DefaultPlatformAudience, []string{auth.ScopeMembersRead}
	for _, tc := range []struct {
		name, audience, client string
		scopes                 []string
		ttl                    time.Duration
	}{
		{"no audience", "", "p", scopes, time.Hour},
		{"admin audience", localissuer.DefaultAudience, "p", scopes, time.Hour},
		{"no client", aud, "", scopes, time.Hour},
		{"client with a space", aud, "local platform", scopes, time.Hour},
		{"client too long", aud, strings.Repeat("c", 129), scopes, time.Hour},
		{"no scopes", aud, "p", nil, time.Hour},
		{"empty scope", aud, "p", []string{auth.ScopeMembersRead, ""}, time.Hour},
		{"scope with a space", aud, "p", []string{"a b"}, time.Hour},
		{"zero ttl", aud, "p", scopes, 0},
		{"negative ttl", aud, "p", scopes, -time.Minute},
		{"ttl too long", aud, "p", scopes, auth.MaxTokenLifetime + time.Second},
	} {
		if tok, err := iss.MachineToken(tc.audience, tc.client, tc.scopes, tc.ttl); err == nil {
			t.Errorf("%s: MachineToken = %q, want an error", tc.name, tok)
		}
	}
}
