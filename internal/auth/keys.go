package auth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// ErrUnknownKey is what a KeySource returns for a key id it does not hold.
var ErrUnknownKey = errors.New("unknown key id")

// KeySource finds the issuer's public key for a token's kid.
type KeySource interface {
	// Key returns the key for kid, an error wrapping ErrUnknownKey when
	// the issuer has no such key, or another error when the keys could not
	// be fetched.
	Key(ctx context.Context, kid string) (*rsa.PublicKey, error)
}

const (
	// jwksRefetchInterval is the least time between two fetches of the
	// JWKS: an unknown kid triggers a refetch (the issuer may have rotated
	// its key), and without a floor every forged kid would cost the issuer
	// a request.
	jwksRefetchInterval = 30 * time.Second
	// jwksTimeout bounds one fetch whatever client the caller passed in.
	jwksTimeout = 10 * time.Second
	// maxJWKSBytes caps the document read: a JWKS of a few RSA keys is a
	// few KiB, so anything far larger is an error, not something to buffer.
	maxJWKSBytes = 256 << 10
	// minRSABits refuses keys too weak to trust with a tenant's data.
	minRSABits = 2048
)

// StaticKeys is a KeySource over a fixed set of keys, for an in-process
// issuer and tests.
func StaticKeys(keys map[string]*rsa.PublicKey) KeySource {
	copied := make(staticKeys, len(keys))
	for kid, k := range keys {
		copied[kid] = k
	}
	return copied
}

type staticKeys map[string]*rsa.PublicKey

var (
	_ KeySource = staticKeys(nil)
	_ KeySource = (*jwks)(nil)
)

func (s staticKeys) Key(_ context.Context, kid string) (*rsa.PublicKey, error) {
	if k, ok := s[kid]; ok {
		return k, nil
	}
	return nil, ErrUnknownKey
}

// NewJWKS is a KeySource that fetches the issuer's JWKS document (RFC 7517)
// from url with client (http.DefaultClient when nil). Keys are cached; an
// unknown kid refetches the document, at most once every 30 seconds.
func NewJWKS(url string, client *http.Client) KeySource {
	if client == nil {
		client = http.DefaultClient
	}
	return &jwks{url: url, client: client, now: time.Now}
}

type jwks struct {
	url    string
	client *http.Client
	now    func() time.Time

	mu sync.Mutex
	// keys is the last document fetched successfully; a failed fetch
	// keeps it, so an issuer outage does not lock out tokens already
	// verifiable.
	keys map[string]*rsa.PublicKey
	// fetchedAt is when the last fetch started, failed or not: failures
	// count towards the rate limit too, or a down issuer would be hit on
	// every request.
	fetchedAt time.Time
	// lastErr is the last fetch's failure, reported while the rate limit
	// holds so callers see "unavailable" rather than "unknown key".
	lastErr error
	// inflight is closed when the running fetch ends; lookups of unknown
	// kids wait on it instead of starting their own.
	inflight chan struct{}
}

// Key answers known kids from the cache without waiting on any fetch. An
// unknown kid starts a fetch, or joins the one running, unless one started
// within jwksRefetchInterval; fetched notes that a fetch ended during this
// call, whose result is final for it.
func (j *jwks) Key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	fetched := false
	for {
		j.mu.Lock()
		if k, ok := j.keys[kid]; ok {
			j.mu.Unlock()
			return k, nil
		}
		if ch := j.inflight; ch != nil {
			j.mu.Unlock()
			select {
			case <-ch:
				fetched = true
				continue
			case <-ctx.Done():
				return nil, fmt.Errorf("wait for JWKS: %w", ctx.Err())
			}
		}
		if fetched || (!j.fetchedAt.IsZero() && j.now().Sub(j.fetchedAt) < jwksRefetchInterval) {
			err := j.lastErr
			j.mu.Unlock()
			if err != nil {
				return nil, err
			}
			return nil, ErrUnknownKey
		}
		ch := make(chan struct{})
		j.inflight, j.fetchedAt = ch, j.now()
		j.mu.Unlock()
		go j.refresh(ctx, ch)
		fetched = true
	}
}

// refresh fetches the document and publishes the result to every lookup
// waiting on done. It runs on its own goroutine, detached from the
// caller's cancellation (jwksTimeout bounds it), so one client hanging up
// does not fail the others waiting on the same fetch.
func (j *jwks) refresh(ctx context.Context, done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jwksTimeout)
	defer cancel()
	keys, err := j.fetch(ctx)
	j.mu.Lock()
	defer j.mu.Unlock()
	if err == nil {
		j.keys = keys
	}
	j.lastErr = err
	j.inflight = nil
	close(done)
}

// fetch downloads and parses the document.
func (j *jwks) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := j.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWKS from %s: status %d", j.url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS from %s: %w", j.url, err)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("fetch JWKS from %s: document over %d bytes", j.url, maxJWKSBytes)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS from %s: %w", j.url, err)
	}
	return keys, nil
}

// jwk holds the members of an RFC 7517 key this package reads.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// parseJWKS returns the document's RS256 signing keys by kid. Keys of other
// types, uses or algorithms are skipped, as are malformed or weak RSA keys:
// an issuer may publish keys this service has no use for, and one bad
// entry must not lock out tokens signed with a good one.
func parseJWKS(body []byte) (map[string]*rsa.PublicKey, error) {
	var doc struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("decode JWKS: %w", err)
	}
	keys := make(map[string]*rsa.PublicKey)
	for _, k := range doc.Keys {
		if k.Kty != "RSA" || k.Kid == "" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != rs256) {
			continue
		}
		if _, dup := keys[k.Kid]; dup {
			continue
		}
		pub, err := rsaKey(k.N, k.E)
		if err != nil {
			continue
		}
		keys[k.Kid] = pub
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS has no usable RS256 signing key")
	}
	return keys, nil
}

// rsaKey decodes a JWK's modulus and exponent (base64url, big-endian,
// RFC 7518 section 6.3.1).
func rsaKey(n64, e64 string) (*rsa.PublicKey, error) {
	nb, err := base64.RawURLEncoding.DecodeString(n64)
	if err != nil {
		return nil, fmt.Errorf("modulus: %w", err)
	}
	eb, err := base64.RawURLEncoding.DecodeString(e64)
	if err != nil {
		return nil, fmt.Errorf("exponent: %w", err)
	}
	n := new(big.Int).SetBytes(nb)
	if n.BitLen() < minRSABits {
		return nil, fmt.Errorf("modulus of %d bits, want at least %d", n.BitLen(), minRSABits)
	}
	e := new(big.Int).SetBytes(eb)
	// crypto/rsa verifies with exponents from 2 to 2^31-1 only; an even
	// exponent is never a valid RSA key.
	if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
		return nil, errors.New("exponent out of range")
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}
