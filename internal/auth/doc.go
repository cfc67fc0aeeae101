// Package auth turns a request's credentials into the Principal the API acts
// for: the tenant and the admin's email, taken from token claims and never
// from the URL or body (SPEC section 4).
//
// In AWS the HTTP API JWT authorizer has already checked the token's
// signature, issuer and audience, so handlers call FromClaims on the claims
// it passes along. Everywhere else (the local stack, tests) a Verifier
// checks the token itself against the issuer's JWKS. Every failure wraps
// ErrUnauthenticated, which callers answer with 401.
package auth
