package auth

import (
	"errors"
	"fmt"
	"strings"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// Claim names the identity provider puts the tenant and the admin in.
const (
	ClaimTenant = "tenant_id"
	ClaimEmail  = "email"
)

// ErrUnauthenticated is wrapped by every failure in this package. Its
// messages give a short reason and never quote the token, so they are safe
// to log.
var ErrUnauthenticated = errors.New("unauthenticated")

// Principal is who a request acts for.
type Principal struct {
	TenantID string
	Email    string // lower-cased
}

// FromClaims reads the Principal from claims a trusted party has already
// validated (API Gateway's JWT authorizer, or Verifier). It still checks
// the values: the tenant id keys storage, so one a tenant could not have
// been given (a '#' in it) must never get through.
func FromClaims(claims map[string]string) (Principal, error) {
	tenant := claims[ClaimTenant]
	if tenant == "" {
		return Principal{}, fmt.Errorf("%w: missing %s claim", ErrUnauthenticated, ClaimTenant)
	}
	if !integration.ValidTenantID(tenant) {
		return Principal{}, fmt.Errorf("%w: invalid %s claim", ErrUnauthenticated, ClaimTenant)
	}
	email := claims[ClaimEmail]
	if email == "" {
		return Principal{}, fmt.Errorf("%w: missing %s claim", ErrUnauthenticated, ClaimEmail)
	}
	// The email is shown to people and recorded as who started a run, so
	// it must be an address the sync engine itself would accept.
	email = strings.ToLower(email)
	if !engine.ValidEmail(email) {
		return Principal{}, fmt.Errorf("%w: invalid %s claim", ErrUnauthenticated, ClaimEmail)
	}
	return Principal{TenantID: tenant, Email: email}, nil
}
