package auth

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFromClaims(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct {
		name   string
		claims map[string]string
		want   Principal
		reason string
	}{
		{"valid", map[string]string{"tenant_id": "demo", "email": "admin@northwind.example"},
			Principal{TenantID: "demo", Email: "admin@northwind.example"}, ""},
		{"email lower-cased", map[string]string{"tenant_id": "Demo_1-x", "email": "Admin@NorthWind.Example"},
			Principal{TenantID: "Demo_1-x", Email: "admin@northwind.example"}, ""},
		{"longest tenant", map[string]string{"tenant_id": long, "email": "a@b.example"},
			Principal{TenantID: long, Email: "a@b.example"}, ""},
		{"nil claims", nil, Principal{}, "missing tenant_id"},
		{"tenant too long", map[string]string{"tenant_id": long + "a", "email": "a@b.example"}, Principal{}, "invalid tenant_id"},
		{"tenant with #", map[string]string{"tenant_id": "demo#x", "email": "a@b.example"}, Principal{}, "invalid tenant_id"},
		{"tenant starting with -", map[string]string{"tenant_id": "-demo", "email": "a@b.example"}, Principal{}, "invalid tenant_id"},
		{"email missing", map[string]string{"tenant_id": "demo"}, Principal{}, "missing email"},
		{"email with name", map[string]string{"tenant_id": "demo", "email": "Bob <bob@b.example>"}, Principal{}, "invalid email"},
		{"email without domain dot", map[string]string{"tenant_id": "demo", "email": "bob@localhost"}, Principal{}, "invalid email"},
		{"email with space", map[string]string{"tenant_id": "demo", "email": "bob @b.example"}, Principal{}, "invalid email"},
		{"email too long", map[string]string{"tenant_id": "demo", "email": strings.Repeat("a", 250) + "@b.example"}, Principal{}, "invalid email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromClaims(tt.claims)
			if tt.reason == "" {
				if err != nil || got != tt.want {
					t.Fatalf("FromClaims = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("FromClaims err = %v, want ErrUnauthenticated mentioning %q", err, tt.reason)
			}
		})
	}
}

func TestBearer(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		want    string // "" when an error is expected
	}{
		{"bearer", []string{"Bearer abc.def.ghi"}, "abc.def.ghi"},
		{"lower-case scheme", []string{"bearer abc.def.ghi"}, "abc.def.ghi"},
		{"upper-case scheme", []string{"BEARER abc.def.ghi"}, "abc.def.ghi"},
		{"surrounding spaces", []string{"  Bearer   abc.def.ghi  "}, "abc.def.ghi"},
		{"missing", nil, ""},
		{"empty", []string{""}, ""},
		{"scheme only", []string{"Bearer"}, ""},
		{"scheme and space", []string{"Bearer   "}, ""},
		{"basic", []string{"Basic dXNlcjpwYXNz"}, ""},
		{"no scheme", []string{"abc.def.ghi"}, ""},
		{"two tokens", []string{"Bearer abc def"}, ""},
		{"two headers", []string{"Bearer abc", "Bearer def"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/integration", nil)
			for _, h := range tt.headers {
				r.Header.Add("Authorization", h)
			}
			got, err := Bearer(r)
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Fatalf("Bearer = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, ErrUnauthenticated) || got != "" {
				t.Fatalf("Bearer = %q, %v; want ErrUnauthenticated", got, err)
			}
		})
	}
}
