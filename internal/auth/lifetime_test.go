package auth

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The gateway's authorizer has checked expiry and signature already; what
// it lets through and FromGatewayClaims must not is a token whose lifetime
// is unknown or longer than MaxTokenLifetime.
func TestFromGatewayClaims(t *testing.T) {
	unix := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	iat := testNow.Add(-time.Minute)
	claims := func(set map[string]string) map[string]string {
		c := map[string]string{
			"iss": testIssuer, "aud": testAudience, ClaimTenant: "demo", ClaimEmail: "Admin@Northwind.example",
			"iat": unix(iat), "exp": unix(iat.Add(2 * time.Hour)),
		}
		for k, v := range set {
			if v == "" {
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
		{"the longest lifetime", claims(map[string]string{"exp": unix(iat.Add(MaxTokenLifetime))}), ""},
		{"a second too long", claims(map[string]string{"exp": unix(iat.Add(MaxTokenLifetime + time.Second))}), "valid for over"},
		{"exp a century away", claims(map[string]string{"exp": unix(iat.AddDate(100, 0, 0))}), "valid for over"},
		{"no iat", claims(map[string]string{"iat": ""}), "missing iat"},
		{"no exp", claims(map[string]string{"exp": ""}), "missing exp"},
		{"iat not a number", claims(map[string]string{"iat": "yesterday"}), "malformed iat"},
		{"iat a fraction", claims(map[string]string{"iat": "1772366340.5"}), "malformed iat"},
		{"iat zero", claims(map[string]string{"iat": "0"}), "malformed iat"},
		{"exp negative", claims(map[string]string{"exp": "-1"}), "malformed exp"},
		{"exp past int64", claims(map[string]string{"exp": "99999999999999999999"}), "malformed exp"},
		{"the principal is still checked", claims(map[string]string{ClaimTenant: "demo#other"}), "invalid tenant_id"},
		{"nil claims", nil, "missing exp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := FromGatewayClaims(tt.claims)
			if tt.reason == "" {
				if want := (Principal{TenantID: "demo", Email: "admin@northwind.example"}); err != nil || p != want {
					t.Fatalf("FromGatewayClaims = %+v, %v; want %+v", p, err, want)
				}
				return
			}
			if !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), tt.reason) || p != (Principal{}) {
				t.Fatalf("FromGatewayClaims = %+v, %v; want ErrUnauthenticated mentioning %q", p, err, tt.reason)
			}
			for _, v := range tt.claims {
				if len(v) > 4 && strings.Contains(err.Error(), v) {
					t.Errorf("error %q quotes a claim's value", err)
				}
			}
		})
	}
}
