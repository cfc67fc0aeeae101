package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	// rs256 is the only algorithm accepted: naming one keeps "none" and
	// HMAC-with-the-public-key (algorithm confusion) out whatever the
	// token's header says.
	rs256 = "RS256"
	// leeway absorbs clock skew between the issuer and this server.
	leeway = 60 * time.Second
	// maxTokenBytes bounds what is parsed at all; real tokens are well
	// under 2 KiB.
	maxTokenBytes = 8 << 10
)

// Verifier checks tokens signed by one issuer for one audience.
type Verifier struct {
	issuer   string
	audience string
	keys     KeySource
	now      func() time.Time
}

// Option configures a Verifier.
type Option func(*Verifier)

// WithClock makes the Verifier read the time from now, for tests.
func WithClock(now func() time.Time) Option {
	return func(v *Verifier) { v.now = now }
}

// NewVerifier builds a Verifier for tokens from issuer (compared exactly
// with "iss") whose "aud" includes audience, signed with a key from keys.
func NewVerifier(issuer, audience string, keys KeySource, opts ...Option) (*Verifier, error) {
	if issuer == "" || audience == "" {
		return nil, errors.New("new verifier: issuer and audience are required")
	}
	if keys == nil {
		return nil, errors.New("new verifier: nil key source")
	}
	v := &Verifier{issuer: issuer, audience: audience, keys: keys, now: time.Now}
	for _, opt := range opts {
		opt(v)
	}
	return v, nil
}

// tokenClaims are the claims Verify reads. The registered ones are checked
// by the jwt parser; the tenant and email go through FromClaims.
type tokenClaims struct {
	jwt.RegisteredClaims
	TenantID string `json:"tenant_id"`
	Email    string `json:"email"`
}

// Verify checks token's signature (RS256, key chosen by the required kid
// header), issuer, audience, expiry and issued-at (both required, at most
// MaxTokenLifetime apart), not-before, and that it asks for no critical
// header extension, and returns the Principal from its claims. Errors wrap
// ErrUnauthenticated.
func (v *Verifier) Verify(ctx context.Context, token string) (Principal, error) {
	var claims tokenClaims
	if err := v.parse(ctx, token, &claims); err != nil {
		return Principal{}, err
	}
	return FromClaims(map[string]string{ClaimTenant: claims.TenantID, ClaimEmail: claims.Email})
}

// parse makes the checks Verify documents, whatever the token is for, and
// decodes the token's claims into claims.
func (v *Verifier) parse(ctx context.Context, token string, claims jwt.Claims) error {
	if token == "" {
		return fmt.Errorf("%w: empty token", ErrUnauthenticated)
	}
	if len(token) > maxTokenBytes {
		return fmt.Errorf("%w: token over %d bytes", ErrUnauthenticated, maxTokenBytes)
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{rs256}),
		jwt.WithIssuer(v.issuer),
		jwt.WithAudience(v.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(v.now),
	)
	// keyErr keeps keyFunc's own refusal (of a header, or the key lookup's
	// failure): the parser would only report it as "unverifiable".
	var keyErr error
	keyFunc := func(t *jwt.Token) (any, error) {
		// RFC 7515 section 4.1.11: a token listing header extensions in
		// "crit" must be refused by a verifier that does not implement
		// them, and this one implements none. The jwt library ignores
		// "crit", so a token that relies on one (say, an extension that
		// narrows where it may be used) would be taken without it.
		if _, ok := t.Header["crit"]; ok {
			keyErr = fmt.Errorf("%w: critical header extension not understood", ErrUnauthenticated)
			return nil, keyErr
		}
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			keyErr = fmt.Errorf("%w: token has no kid header", ErrUnauthenticated)
			return nil, keyErr
		}
		key, err := v.keys.Key(ctx, kid)
		switch {
		case errors.Is(err, ErrUnknownKey):
			// The kid is not quoted: it is the caller's input.
			keyErr = fmt.Errorf("%w: unknown signing key", ErrUnauthenticated)
		case err != nil:
			keyErr = fmt.Errorf("%w: signing keys unavailable: %w", ErrUnauthenticated, err)
		}
		if keyErr != nil {
			return nil, keyErr
		}
		return key, nil
	}
	parsed, err := parser.ParseWithClaims(token, claims, keyFunc)
	if keyErr != nil {
		return keyErr
	}
	if err != nil {
		return fmt.Errorf("%w: %s", ErrUnauthenticated, reason(parsed, err))
	}
	// The claims embed jwt.RegisteredClaims, whose getters never fail.
	var iat, exp time.Time
	if d, _ := claims.GetIssuedAt(); d != nil {
		iat = d.Time
	}
	if d, _ := claims.GetExpirationTime(); d != nil {
		exp = d.Time
	}
	return checkLifetime(iat, exp)
}

// reason names what the parser refused in a few words of our own: its
// messages can quote decoder errors, which quote the token.
func reason(t *jwt.Token, err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed token"
	case errors.Is(err, jwt.ErrTokenUnverifiable),
		t != nil && t.Method != nil && t.Method.Alg() != rs256:
		return "signing algorithm not accepted"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "invalid signature"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "token not valid yet"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "token issued in the future"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong audience"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "missing exp, iss or aud claim"
	default:
		return "invalid claims"
	}
}
