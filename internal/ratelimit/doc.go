// Package ratelimit owns the token bucket arithmetic behind the API's
// per-tenant limits: a Limit refills a Bucket at its rate up to its burst
// and takes one token per request. It is pure (no clock, no storage): the
// stores keep one bucket per tenant and class of request and call Take on
// what they read, so the table and the store in memory agree exactly.
package ratelimit
