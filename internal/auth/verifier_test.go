package auth

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer   = "https://id.example/issuer"
	testAudience = "peoplesync"
	testKid      = "key-1"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func validClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss":       testIssuer,
		"aud":       testAudience,
		"sub":       "admin@northwind.example",
		"tenant_id": "demo",
		"email":     "Admin@Northwind.example",
		"iat":       testNow.Add(-time.Minute).Unix(),
		"nbf":       testNow.Add(-time.Minute).Unix(),
		"exp":       testNow.Add(time.Hour).Unix(),
	}
}

// with returns the valid claims changed by set; a nil value deletes.
func with(set jwt.MapClaims) jwt.MapClaims { return edited(validClaims(), set) }

// edited returns c changed by set; a nil value deletes.
func edited(c, set jwt.MapClaims) jwt.MapClaims {
	for k, v := range set {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

func TestVerify(t *testing.T) {
	keys := testKeys()
	good, other := keys[0], keys[1]
	kid := map[string]any{"kid": testKid}
	rs256 := func(c jwt.MapClaims) func(*testing.T) string {
		return func(t *testing.T) string { return sign(t, jwt.SigningMethodRS256, good, kid, c) }
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: mustPKIX(t, good)})

	tests := []struct {
		name  string
		token func(*testing.T) string
		want  string // "" for success, else a piece of the reason
	}{
		{"valid", rs256(validClaims()), ""},
		{"audience among several", rs256(with(jwt.MapClaims{"aud": []string{"other", testAudience}})), ""},
		{"expired within leeway", rs256(with(jwt.MapClaims{"exp": testNow.Add(-30 * time.Second).Unix()})), ""},
		{"expired", rs256(with(jwt.MapClaims{"exp": testNow.Add(-61 * time.Second).Unix()})), "token expired"},
		{"no exp", rs256(with(jwt.MapClaims{"exp": nil})), "missing exp"},
		{"nbf within leeway", rs256(with(jwt.MapClaims{"nbf": testNow.Add(30 * time.Second).Unix()})), ""},
		{"not yet valid", rs256(with(jwt.MapClaims{"nbf": testNow.Add(2 * time.Minute).Unix()})), "not valid yet"},
		{"issued in the future", rs256(with(jwt.MapClaims{"iat": testNow.Add(2 * time.Minute).Unix()})), "issued in the future"},
		{"no nbf", rs256(with(jwt.MapClaims{"nbf": nil})), ""},
		{"no iat", rs256(with(jwt.MapClaims{"iat": nil})), "missing iat"},
		{"valid for the longest lifetime", rs256(with(jwt.MapClaims{"exp": testNow.Add(-time.Minute).Add(MaxTokenLifetime).Unix()})), ""},
		{"valid for a second too long", rs256(with(jwt.MapClaims{"exp": testNow.Add(-time.Minute).Add(MaxTokenLifetime + time.Second).Unix()})), "valid for over"},
		{"exp a century away", rs256(with(jwt.MapClaims{"exp": testNow.AddDate(100, 0, 0).Unix()})), "valid for over"},
		{"old iat, far exp", rs256(with(jwt.MapClaims{"iat": testNow.AddDate(-1, 0, 0).Unix(), "nbf": nil})), "valid for over"},
		{"issued just within leeway", rs256(with(jwt.MapClaims{"iat": testNow.Add(30 * time.Second).Unix(), "nbf": nil})), ""},
		{"wrong issuer", rs256(with(jwt.MapClaims{"iss": "https://evil.example/issuer"})), "wrong issuer"},
		{"issuer not exact", rs256(with(jwt.MapClaims{"iss": testIssuer + "/"})), "wrong issuer"},
		{"no issuer", rs256(with(jwt.MapClaims{"iss": nil})), "missing"},
		{"wrong audience", rs256(with(jwt.MapClaims{"aud": "someone-else"})), "wrong audience"},
		{"no audience", rs256(with(jwt.MapClaims{"aud": nil})), "missing"},
		{"missing kid", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, good, nil, validClaims())
		}, "no kid"},
		{"unknown crit header", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, good, map[string]any{"kid": testKid, "crit": []string{"exp-only-for"}, "exp-only-for": "reports"}, validClaims())
		}, "critical header"},
		{"empty crit header", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, good, map[string]any{"kid": testKid, "crit": []string{}}, validClaims())
		}, "critical header"},
		{"crit naming a registered header", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, good, map[string]any{"kid": testKid, "crit": []string{"kid"}}, validClaims())
		}, "critical header"},
		{"unknown kid", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, good, map[string]any{"kid": "nope"}, validClaims())
		}, "unknown signing key"},
		{"signed by another key", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, other, kid, validClaims())
		}, "invalid signature"},
		{"alg none", func(t *testing.T) string {
			return unsigned(t, map[string]any{"alg": "none", "typ": "JWT", "kid": testKid}, validClaims())
		}, "algorithm not accepted"},
		{"alg NONE", func(t *testing.T) string {
			return unsigned(t, map[string]any{"alg": "NONE", "kid": testKid}, validClaims())
		}, "algorithm not accepted"},
		{"no alg", func(t *testing.T) string {
			return unsigned(t, map[string]any{"kid": testKid}, validClaims())
		}, "algorithm not accepted"},
		{"HS256 with the public key as secret", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS256, pubPEM, kid, validClaims())
		}, "algorithm not accepted"},
		{"RS512", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS512, good, kid, validClaims())
		}, "algorithm not accepted"},
		{"PS256", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodPS256, good, kid, validClaims())
		}, "algorithm not accepted"},
		{"tampered payload", func(t *testing.T) string {
			tok := sign(t, jwt.SigningMethodRS256, good, kid, validClaims())
			forged := unsigned(t, kid, with(jwt.MapClaims{"tenant_id": "victim"}))
			parts, forgedParts := strings.Split(tok, "."), strings.Split(forged, ".")
			return parts[0] + "." + forgedParts[1] + "." + parts[2]
		}, "invalid signature"},
		{"truncated signature", func(t *testing.T) string {
			tok := sign(t, jwt.SigningMethodRS256, good, kid, validClaims())
			return tok[:len(tok)-4]
		}, "invalid signature"},
		{"missing tenant", rs256(with(jwt.MapClaims{"tenant_id": nil})), "missing tenant_id"},
		{"tenant with #", rs256(with(jwt.MapClaims{"tenant_id": "demo#other"})), "invalid tenant_id"},
		{"tenant not a string", rs256(with(jwt.MapClaims{"tenant_id": 42})), "malformed"},
		{"email missing", rs256(with(jwt.MapClaims{"email": nil})), "missing email"},
		{"email not an address", rs256(with(jwt.MapClaims{"email": "admin"})), "invalid email"},
		{"not a JWT", func(*testing.T) string { return "not-a-token" }, "malformed"},
		{"empty", func(*testing.T) string { return "" }, "empty token"},
		{"huge", func(*testing.T) string { return strings.Repeat("a", maxTokenBytes+1) }, "over"},
	}
	v, err := NewVerifier(testIssuer, testAudience,
		StaticKeys(map[string]*rsa.PublicKey{testKid: &good.PublicKey}),
		WithClock(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := tt.token(t)
			p, err := v.Verify(context.Background(), token)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if want := (Principal{TenantID: "demo", Email: "admin@northwind.example"}); p != want {
					t.Fatalf("principal = %+v, want %+v", p, want)
				}
				return
			}
			if !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("err = %v, want ErrUnauthenticated", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to mention %q", err, tt.want)
			}
			if p != (Principal{}) {
				t.Errorf("principal = %+v on failure", p)
			}
			for _, part := range strings.Split(token, ".") {
				if len(part) > 8 && strings.Contains(err.Error(), part) {
					t.Errorf("error %q quotes the token", err)
				}
			}
		})
	}
}

func TestNewVerifierRefusesMissingParts(t *testing.T) {
	keys := StaticKeys(nil)
	for _, tc := range []struct {
		iss, aud string
		keys     KeySource
	}{{"", testAudience, keys}, {testIssuer, "", keys}, {testIssuer, testAudience, nil}} {
		if _, err := NewVerifier(tc.iss, tc.aud, tc.keys); err == nil {
			t.Errorf("NewVerifier(%q, %q, %v) succeeded", tc.iss, tc.aud, tc.keys)
		}
	}
}

func mustPKIX(t *testing.T, k interface{ Public() crypto.PublicKey }) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// FuzzVerify checks that no input panics the verifier or gets through.
func FuzzVerify(f *testing.F) {
	good := testKeys()[0]
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	v, err := NewVerifier(testIssuer, testAudience,
		StaticKeys(map[string]*rsa.PublicKey{testKid: &good.PublicKey}),
		WithClock(func() time.Time { return testNow }))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, token string) {
		if _, err := v.Verify(context.Background(), token); !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("Verify(%q) = %v, want ErrUnauthenticated", token, err)
		}
	})
}
