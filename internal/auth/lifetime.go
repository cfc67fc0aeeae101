package auth

import (
	"fmt"
	"strconv"
	"time"
)

// MaxTokenLifetime caps how long an admin token may be valid, from its
// "iat" to its "exp". A token is a bearer credential for a tenant's whole
// integration: one that leaked (a log, a shared screen, a link) must stop
// working within a working day, whatever expiry its issuer was talked
// into. The local issuer's tokens are valid exactly this long.
const MaxTokenLifetime = 12 * time.Hour

// checkLifetime refuses a token whose lifetime cannot be known (no iat) or
// is longer than MaxTokenLifetime. Whether the token is expired or issued
// in the future is the caller's check, against its own clock.
func checkLifetime(iat, exp time.Time) error {
	if iat.IsZero() {
		return fmt.Errorf("%w: missing iat claim", ErrUnauthenticated)
	}
	if exp.Sub(iat) > MaxTokenLifetime {
		return fmt.Errorf("%w: token valid for over %v", ErrUnauthenticated, MaxTokenLifetime)
	}
	return nil
}

// FromGatewayClaims reads the Principal from the claims API Gateway's JWT
// authorizer validated and passed on, as strings. The authorizer has
// checked the signature, issuer, audience, expiry and that iat is not in
// the future, but it accepts a token without iat or valid for a century:
// the lifetime is checked here, as Verifier checks it.
func FromGatewayClaims(claims map[string]string) (Principal, error) {
	if err := gatewayLifetime(claims); err != nil {
		return Principal{}, err
	}
	return FromClaims(claims)
}

// gatewayLifetime checks the lifetime of a token from the claims the
// gateway passed on: iat and exp present, at most MaxTokenLifetime apart.
func gatewayLifetime(claims map[string]string) error {
	iat, err := numericDate(claims, "iat")
	if err != nil {
		return err
	}
	exp, err := numericDate(claims, "exp")
	if err != nil {
		return err
	}
	if exp.IsZero() {
		return fmt.Errorf("%w: missing exp claim", ErrUnauthenticated)
	}
	return checkLifetime(iat, exp)
}

// numericDate reads a NumericDate claim (seconds since the epoch, RFC 7519
// section 2) as the gateway passes it, in decimal; the zero time when the
// claim is absent.
func numericDate(claims map[string]string, name string) (time.Time, error) {
	s, ok := claims[name]
	if !ok {
		return time.Time{}, nil
	}
	secs, err := strconv.ParseInt(s, 10, 64)
	if err != nil || secs <= 0 {
		// The value is not quoted: it is the caller's input.
		return time.Time{}, fmt.Errorf("%w: malformed %s claim", ErrUnauthenticated, name)
	}
	return time.Unix(secs, 0), nil
}
