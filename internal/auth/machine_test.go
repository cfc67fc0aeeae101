package auth

import (
	"context"
	"crypto/rsa"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const testPlatformAudience = "peoplesync-platform"

var testScopes = []string{ScopeMembersRead, ScopeInvitationsRedeem}

func validMachineClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss":       testIssuer,
		"aud":       testPlatformAudience,
		"sub":       "benefits-platform",
		"client_id": "benefits-platform",
		"scope":     ScopeMembersRead + " " + ScopeInvitationsRedeem,
		"iat":       testNow.Add(-time.Minute).Unix(),
		"exp":       testNow.Add(time.Hour).Unix(),
	}
}

// withMachine returns the valid machine claims changed by set; a nil value
// deletes.
func withMachine(set jwt.MapClaims) jwt.MapClaims { return edited(validMachineClaims(), set) }

func TestVerifyMachine(t *testing.T) {
	good := testKeys()[0]
	kid := map[string]any{"kid": testKid}
	rs256 := func(c jwt.MapClaims) func(*testing.T) string {
		return func(t *testing.T) string { return sign(t, jwt.SigningMethodRS256, good, kid, c) }
	}
	tests := []struct {
		name   string
		token  func(*testing.T) string
		client string   // "" for a refusal
		scopes []string // nil for testScopes
		reason string
	}{
		{"valid", rs256(validMachineClaims()), "benefits-platform", nil, ""},
		{"client from sub", rs256(withMachine(jwt.MapClaims{"client_id": nil, "sub": "from-sub"})), "from-sub", nil, ""},
		{"client_id over sub", rs256(withMachine(jwt.MapClaims{"sub": "someone"})), "benefits-platform", nil, ""},
		{"one scope", rs256(withMachine(jwt.MapClaims{"scope": ScopeMembersRead})), "benefits-platform", []string{ScopeMembersRead}, ""},
		{"scp as a list", rs256(withMachine(jwt.MapClaims{"scope": nil, "scp": testScopes})), "benefits-platform", nil, ""},
		{"scp as a string", rs256(withMachine(jwt.MapClaims{"scope": nil, "scp": ScopeMembersRead})), "benefits-platform", []string{ScopeMembersRead}, ""},
		{"scope over scp", rs256(withMachine(jwt.MapClaims{"scp": []string{"other"}})), "benefits-platform", nil, ""},
		{"audience among several", rs256(withMachine(jwt.MapClaims{"aud": []string{testAudience, testPlatformAudience}})), "benefits-platform", nil, ""},

		{"admin audience", rs256(withMachine(jwt.MapClaims{"aud": testAudience})), "", nil, "wrong audience"},
		{"admin token", rs256(validClaims()), "", nil, "wrong audience"},
		{"admin token for the platform audience", rs256(with(jwt.MapClaims{"aud": testPlatformAudience, "scope": ScopeMembersRead})), "", nil, "tenant_id claim in a platform token"},
		{"tenant_id alone", rs256(withMachine(jwt.MapClaims{"tenant_id": "demo"})), "", nil, "tenant_id claim"},
		{"empty tenant_id", rs256(withMachine(jwt.MapClaims{"tenant_id": ""})), "", nil, "tenant_id claim"},
		{"null tenant_id", func(t *testing.T) string {
			c := validMachineClaims()
			c["tenant_id"] = nil
			return sign(t, jwt.SigningMethodRS256, good, kid, c)
		}, "", nil, "tenant_id claim"},
		{"email alone", rs256(withMachine(jwt.MapClaims{"email": "admin@northwind.example"})), "", nil, "email claim"},
		{"no scope", rs256(withMachine(jwt.MapClaims{"scope": nil})), "", nil, "missing scope"},
		{"blank scope", rs256(withMachine(jwt.MapClaims{"scope": "  "})), "", nil, "missing scope"},
		{"empty scp list", rs256(withMachine(jwt.MapClaims{"scope": nil, "scp": []string{}})), "", nil, "missing scope"},
		{"scp not a list of strings", rs256(withMachine(jwt.MapClaims{"scope": nil, "scp": 42})), "", nil, "malformed scp"},
		{"no client", rs256(withMachine(jwt.MapClaims{"client_id": nil, "sub": nil})), "", nil, "missing client_id"},
		{"empty client_id", rs256(withMachine(jwt.MapClaims{"client_id": ""})), "", nil, "missing client_id"},
		{"client with a space", rs256(withMachine(jwt.MapClaims{"client_id": "benefits platform"})), "", nil, "invalid client_id"},
		{"client with a newline", rs256(withMachine(jwt.MapClaims{"client_id": "a\nb"})), "", nil, "invalid client_id"},
		{"client not ASCII", rs256(withMachine(jwt.MapClaims{"client_id": "clïent"})), "", nil, "invalid client_id"},
		{"client too long", rs256(withMachine(jwt.MapClaims{"client_id": strings.Repeat("c", maxClientLen+1)})), "", nil, "invalid client_id"},
		{"sub with a space", rs256(withMachine(jwt.MapClaims{"client_id": nil, "sub": "a b"})), "", nil, "invalid client_id"},
		{"no iat", rs256(withMachine(jwt.MapClaims{"iat": nil})), "", nil, "missing iat"},
		{"exp a century away", rs256(withMachine(jwt.MapClaims{"exp": testNow.AddDate(100, 0, 0).Unix()})), "", nil, "valid for over"},
		{"expired", rs256(withMachine(jwt.MapClaims{"exp": testNow.Add(-61 * time.Second).Unix()})), "", nil, "token expired"},
		{"no exp", rs256(withMachine(jwt.MapClaims{"exp": nil})), "", nil, "missing exp"},
		{"wrong issuer", rs256(withMachine(jwt.MapClaims{"iss": "https://evil.example/issuer"})), "", nil, "wrong issuer"},
		{"crit header", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, good, map[string]any{"kid": testKid, "crit": []string{"x"}}, validMachineClaims())
		}, "", nil, "critical header"},
		{"missing kid", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, good, nil, validMachineClaims())
		}, "", nil, "no kid"},
		{"signed by another key", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, testKeys()[1], kid, validMachineClaims())
		}, "", nil, "invalid signature"},
		{"alg none", func(t *testing.T) string {
			return unsigned(t, map[string]any{"alg": "none", "kid": testKid}, validMachineClaims())
		}, "", nil, "algorithm not accepted"},
		{"huge", func(*testing.T) string { return strings.Repeat("a", maxTokenBytes+1) }, "", nil, "over"},
	}
	v, err := NewVerifier(testIssuer, testPlatformAudience,
		StaticKeys(map[string]*rsa.PublicKey{testKid: &good.PublicKey}),
		WithClock(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := tt.token(t)
			m, err := v.VerifyMachine(context.Background(), token)
			if tt.reason == "" {
				want := Machine{Client: tt.client, Scopes: tt.scopes}
				if want.Scopes == nil {
					want.Scopes = testScopes
				}
				if err != nil || m.Client != want.Client || !slices.Equal(m.Scopes, want.Scopes) {
					t.Fatalf("VerifyMachine = %+v, %v; want %+v", m, err, want)
				}
				return
			}
			if !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("VerifyMachine err = %v, want ErrUnauthenticated mentioning %q", err, tt.reason)
			}
			if m.Client != "" || m.Scopes != nil {
				t.Errorf("machine = %+v on failure", m)
			}
			for _, part := range strings.Split(token, ".") {
				if len(part) > 8 && strings.Contains(err.Error(), part) {
					t.Errorf("error %q quotes the token", err)
				}
			}
		})
	}
}

// A platform token must not pass the admin Verifier, even one whose
// audience it carries.
func TestVerifyRefusesPlatformToken(t *testing.T) {
	good := testKeys()[0]
	keys := StaticKeys(map[string]*rsa.PublicKey{testKid: &good.PublicKey})
	clock := WithClock(func() time.Time { return testNow })
	admin, err := NewVerifier(testIssuer, testAudience, keys, clock)
	if err != nil {
		t.Fatal(err)
	}
	kid := map[string]any{"kid": testKid}
	for name, tc := range map[string]struct {
		claims jwt.MapClaims
		reason string
	}{
		"platform audience": {validMachineClaims(), "wrong audience"},
		"admin audience":    {withMachine(jwt.MapClaims{"aud": testAudience}), "missing tenant_id"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := admin.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, good, kid, tc.claims))
			if !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("Verify err = %v, want ErrUnauthenticated mentioning %q", err, tc.reason)
			}
		})
	}
}

func TestMachineFromClaims(t *testing.T) {
	long := strings.Repeat("c", maxClientLen)
	tests := []struct {
		name   string
		claims map[string]string
		want   Machine
		reason string
	}{
		{"valid", map[string]string{"client_id": "p", "scope": ScopeMembersRead},
			Machine{Client: "p", Scopes: []string{ScopeMembersRead}}, ""},
		{"longest client", map[string]string{"client_id": long, "scope": "a"},
			Machine{Client: long, Scopes: []string{"a"}}, ""},
		{"printable punctuation", map[string]string{"sub": "!a~", "scope": "a"},
			Machine{Client: "!a~", Scopes: []string{"a"}}, ""},
		{"runs of spaces", map[string]string{"client_id": "p", "scope": " a  b "},
			Machine{Client: "p", Scopes: []string{"a", "b"}}, ""},
		{"scp in brackets", map[string]string{"client_id": "p", "scp": "[a b]"},
			Machine{Client: "p", Scopes: []string{"a", "b"}}, ""},
		{"scp without brackets", map[string]string{"client_id": "p", "scp": "a b"},
			Machine{Client: "p", Scopes: []string{"a", "b"}}, ""},
		{"scp with one bracket kept", map[string]string{"client_id": "p", "scp": "[a"},
			Machine{Client: "p", Scopes: []string{"[a"}}, ""},
		{"nil claims", nil, Machine{}, "missing client_id"},
		{"tenant", map[string]string{"client_id": "p", "scope": "a", "tenant_id": "demo"}, Machine{}, "tenant_id claim"},
		{"empty email", map[string]string{"client_id": "p", "scope": "a", "email": ""}, Machine{}, "email claim"},
		{"client too long", map[string]string{"client_id": long + "c", "scope": "a"}, Machine{}, "invalid client_id"},
		{"client with a tab", map[string]string{"client_id": "a\tb", "scope": "a"}, Machine{}, "invalid client_id"},
		{"client with DEL", map[string]string{"client_id": "a\x7fb", "scope": "a"}, Machine{}, "invalid client_id"},
		{"empty client_id, sub not used", map[string]string{"client_id": "", "sub": "p", "scope": "a"}, Machine{}, "missing client_id"},
		{"no scope", map[string]string{"client_id": "p"}, Machine{}, "missing scope"},
		{"empty scp list", map[string]string{"client_id": "p", "scp": "[]"}, Machine{}, "missing scope"},
		{"empty scope, scp not used", map[string]string{"client_id": "p", "scope": "", "scp": "a"}, Machine{}, "missing scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MachineFromClaims(tt.claims)
			if tt.reason == "" {
				if err != nil || got.Client != tt.want.Client || !slices.Equal(got.Scopes, tt.want.Scopes) {
					t.Fatalf("MachineFromClaims = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("MachineFromClaims err = %v, want ErrUnauthenticated mentioning %q", err, tt.reason)
			}
			for _, v := range tt.claims {
				if len(v) > 4 && strings.Contains(err.Error(), v) {
					t.Errorf("error %q quotes a claim's value", err)
				}
			}
		})
	}
}

func TestMachineFromGatewayClaims(t *testing.T) {
	unix := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	iat := testNow.Add(-time.Minute)
	claims := func(set map[string]string) map[string]string {
		c := map[string]string{
			"iss": testIssuer, "aud": testPlatformAudience, "client_id": "benefits-platform",
			"scope": ScopeMembersRead + " " + ScopeInvitationsRedeem,
			"iat":   unix(iat), "exp": unix(iat.Add(time.Hour)),
		}
		for k, v := range set {
			if v == "-" {
				delete(c, k)
				continue
			}
			c[k] = v
		}
		return c
	}
	tests := []struct {
		name   string
		claims map[string]string
		reason string // "" for success
	}{
		{"valid", claims(nil), ""},
		{"scp in brackets", claims(map[string]string{"scope": "-", "scp": "[" + ScopeMembersRead + " " + ScopeInvitationsRedeem + "]"}), ""},
		{"client from sub", claims(map[string]string{"client_id": "-", "sub": "benefits-platform"}), ""},
		{"the longest lifetime", claims(map[string]string{"exp": unix(iat.Add(MaxTokenLifetime))}), ""},
		{"a second too long", claims(map[string]string{"exp": unix(iat.Add(MaxTokenLifetime + time.Second))}), "valid for over"},
		{"exp a century away", claims(map[string]string{"exp": unix(iat.AddDate(100, 0, 0))}), "valid for over"},
		{"no iat", claims(map[string]string{"iat": "-"}), "missing iat"},
		{"no exp", claims(map[string]string{"exp": "-"}), "missing exp"},
		{"iat not a number", claims(map[string]string{"iat": "yesterday"}), "malformed iat"},
		{"admin claims", claims(map[string]string{ClaimTenant: "demo", ClaimEmail: "admin@northwind.example"}), "claim in a platform token"},
		{"no scope", claims(map[string]string{"scope": "-"}), "missing scope"},
		{"bad client", claims(map[string]string{"client_id": "benefits platform"}), "invalid client_id"},
		{"nil claims", nil, "missing exp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := MachineFromGatewayClaims(tt.claims)
			if tt.reason == "" {
				if err != nil || m.Client != "benefits-platform" || !slices.Equal(m.Scopes, testScopes) {
					t.Fatalf("MachineFromGatewayClaims = %+v, %v; want benefits-platform with %v", m, err, testScopes)
				}
				return
			}
			if !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("MachineFromGatewayClaims err = %v, want ErrUnauthenticated mentioning %q", err, tt.reason)
			}
			for _, v := range tt.claims {
				if len(v) > 4 && strings.Contains(err.Error(), v) {
					t.Errorf("error %q quotes a claim's value", err)
				}
			}
		})
	}
}

func TestMachineHas(t *testing.T) {
	m := Machine{Client: "p", Scopes: []string{ScopeMembersRead}}
	for _, tc := range []struct {
		scope string
		want  bool
	}{
		{ScopeMembersRead, true},
		{ScopeInvitationsRedeem, false},
		{"peoplesync/members", false},
		{"", false},
	} {
		if got := m.Has(tc.scope); got != tc.want {
			t.Errorf("Has(%q) = %v, want %v", tc.scope, got, tc.want)
		}
	}
	if (Machine{}).Has(ScopeMembersRead) {
		t.Error("the zero Machine has a scope")
	}
}

// FuzzVerifyMachine checks that no input panics the verifier or gets
// through.
func FuzzVerifyMachine(f *testing.F) {
	good := testKeys()[0]
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	v, err := NewVerifier(testIssuer, testPlatformAudience,
		StaticKeys(map[string]*rsa.PublicKey{testKid: &good.PublicKey}),
		WithClock(func() time.Time { return testNow }))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, token string) {
		if _, err := v.VerifyMachine(context.Background(), token); !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("VerifyMachine(%q) = %v, want ErrUnauthenticated", token, err)
		}
	})
}
