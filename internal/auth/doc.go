// Package auth turns a request's credentials into the Principal the API acts
// for: the tenant and the admin's email, taken from token claims and never
// from the URL or body (SPEC section 4).
//
// In AWS the HTTP API JWT authorizer has already checked the token's
// signature, issuer, audience and expiry, so handlers call
// FromGatewayClaims on the claims it passes along, which adds what the
// authorizer does not check: an "iat", and a lifetime of at most
// MaxTokenLifetime. Everywhere else (the local stack, tests) a Verifier
// checks the token itself against the issuer's JWKS, lifetime and "crit"
// header included. Every failure wraps ErrUnauthenticated, which callers
// answer with 401 in their own words; the error's reason is for the log.
package auth
