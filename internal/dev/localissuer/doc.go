// Package localissuer is a minimal identity provider for the local stack and
// tests only; it is never deployed. It stands in for the platform's
// identity provider: it signs admin tokens (RS256) with a key kept on this
// machine and publishes the public key as a JWKS, so the local API server
// verifies tokens the same way API Gateway's JWT authorizer does in AWS.
package localissuer
