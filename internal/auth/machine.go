package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// Scopes a platform token may grant; each platform route requires one.
const (
	ScopeMembersRead       = "peoplesync/members.read"
	ScopeInvitationsRedeem = "peoplesync/invitations.redeem"
)

// Claim names of a client-credentials token (RFC 9068, RFC 8693 section
// 4.2). "scp" and "sub" are the fallbacks some issuers use instead.
const (
	ClaimClient = "client_id"
	ClaimScope  = "scope"
	claimScp    = "scp"
	claimSub    = "sub"
)

// maxClientLen bounds the client id, which is logged with every platform
// request.
const maxClientLen = 128

// Machine is the platform client a machine-to-machine request acts for,
// with the scopes its token grants. It acts for no tenant of its own: the
// platform API takes the tenant from what the request names and the scopes
// allow.
type Machine struct {
	Client string
	Scopes []string
}

// Has reports whether the token granted scope.
func (m Machine) Has(scope string) bool { return slices.Contains(m.Scopes, scope) }

// MachineFromClaims reads the Machine from claims a trusted party has
// already validated (API Gateway's JWT authorizer, or Verifier). The
// client is "client_id", or "sub" when there is none; the scopes are
// "scope", or "scp" when there is none, space-separated, in brackets as
// the gateway passes a list. Claims naming a tenant or an admin are
// refused: they make an admin token, which must not reach the platform API
// whatever its audience.
func MachineFromClaims(claims map[string]string) (Machine, error) {
	// Presence, not value, decides: an admin token with an empty tenant is
	// still not a platform client's.
	for _, c := range []string{ClaimTenant, ClaimEmail} {
		if _, ok := claims[c]; ok {
			return Machine{}, fmt.Errorf("%w: %s claim in a platform token", ErrUnauthenticated, c)
		}
	}
	client, ok := claims[ClaimClient]
	if !ok {
		client = claims[claimSub]
	}
	if client == "" {
		return Machine{}, fmt.Errorf("%w: missing %s claim", ErrUnauthenticated, ClaimClient)
	}
	if !validClient(client) {
		return Machine{}, fmt.Errorf("%w: invalid %s claim", ErrUnauthenticated, ClaimClient)
	}
	scope, ok := claims[ClaimScope]
	if !ok {
		scope = unbracket(claims[claimScp])
	}
	scopes := strings.Fields(scope)
	if len(scopes) == 0 {
		return Machine{}, fmt.Errorf("%w: missing %s claim", ErrUnauthenticated, ClaimScope)
	}
	return Machine{Client: client, Scopes: scopes}, nil
}

// validClient accepts 1 to maxClientLen printable ASCII characters other
// than space: the id goes into logs and audit records, where a control
// character or a space could forge or split a field.
func validClient(s string) bool {
	if len(s) == 0 || len(s) > maxClientLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// unbracket strips the brackets API Gateway's authorizer puts around a
// list claim it passes as a string ("[a b]").
func unbracket(s string) string {
	if inner, ok := strings.CutPrefix(s, "["); ok {
		if inner, ok := strings.CutSuffix(inner, "]"); ok {
			return inner
		}
	}
	return s
}

// MachineFromGatewayClaims is FromGatewayClaims for platform tokens: the
// authorizer lets through a token without iat or valid for a century, so
// the lifetime is checked here before MachineFromClaims.
func MachineFromGatewayClaims(claims map[string]string) (Machine, error) {
	if err := gatewayLifetime(claims); err != nil {
		return Machine{}, err
	}
	return MachineFromClaims(claims)
}

// machineClaims are the claims VerifyMachine reads. Absence is kept apart
// from an empty value, as MachineFromClaims tells them apart: the tenant
// and email are raw so that any value, null included, marks an admin
// token.
type machineClaims struct {
	jwt.RegisteredClaims
	Client   *string         `json:"client_id"`
	Scope    *string         `json:"scope"`
	Scp      json.RawMessage `json:"scp"`
	TenantID json.RawMessage `json:"tenant_id"`
	Email    json.RawMessage `json:"email"`
}

// VerifyMachine makes the checks Verify makes (the audience being the
// platform API's, for a Verifier built with it) and returns the Machine
// from the token's claims. Errors wrap ErrUnauthenticated.
func (v *Verifier) VerifyMachine(ctx context.Context, token string) (Machine, error) {
	var claims machineClaims
	if err := v.parse(ctx, token, &claims); err != nil {
		return Machine{}, err
	}
	m := map[string]string{claimSub: claims.Subject}
	if claims.Client != nil {
		m[ClaimClient] = *claims.Client
	}
	if claims.Scope != nil {
		m[ClaimScope] = *claims.Scope
	}
	if claims.Scp != nil {
		scp, err := scpString(claims.Scp)
		if err != nil {
			return Machine{}, err
		}
		m[claimScp] = scp
	}
	if claims.TenantID != nil {
		m[ClaimTenant] = ""
	}
	if claims.Email != nil {
		m[ClaimEmail] = ""
	}
	return MachineFromClaims(m)
}

// scpString reads "scp" as a space-separated string, as MachineFromClaims
// takes it: issuers put it in a token either so or as a JSON list.
func scpString(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		// The decoder's error is not wrapped: it quotes the claim.
		return "", fmt.Errorf("%w: malformed %s claim", ErrUnauthenticated, claimScp)
	}
	return strings.Join(list, " "), nil
}
