package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// issuerServer serves a JWKS document that tests can change, counting
// requests.
type issuerServer struct {
	*httptest.Server
	requests atomic.Int64
	mu       sync.Mutex
	status   int
	body     []byte
}

func newIssuerServer(t *testing.T, body []byte) *issuerServer {
	s := &issuerServer{status: http.StatusOK, body: body}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.mu.Lock()
		status, body := s.status, s.body
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *issuerServer) serve(status int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

// fakeClock is advanced by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestJWKS(url string, clock *fakeClock) KeySource {
	src := NewJWKS(url, nil)
	src.(*jwks).now = clock.Now
	return src
}

func TestJWKSCachesAndRateLimitsRefetch(t *testing.T) {
	keys := testKeys()
	srv := newIssuerServer(t, jwksDoc(t, jwkOf("k1", &keys[0].PublicKey)))
	clock := &fakeClock{now: testNow}
	src := newTestJWKS(srv.URL, clock)
	ctx := context.Background()

	for range 3 {
		k, err := src.Key(ctx, "k1")
		if err != nil || !k.Equal(&keys[0].PublicKey) {
			t.Fatalf("Key(k1) = %v, %v", k, err)
		}
	}
	if n := srv.requests.Load(); n != 1 {
		t.Fatalf("%d fetches for one known key, want 1", n)
	}

	// Unknown kids within 30s of the last fetch do not reach the issuer.
	clock.Advance(10 * time.Second)
	for i := range 50 {
		if _, err := src.Key(ctx, fmt.Sprintf("bogus-%d", i)); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("Key(bogus) err = %v, want ErrUnknownKey", err)
		}
	}
	if n := srv.requests.Load(); n != 1 {
		t.Fatalf("%d fetches after a flood of unknown kids, want 1", n)
	}

	// After the interval an unknown kid refetches once, and a rotated-in
	// key is found.
	srv.serve(http.StatusOK, jwksDoc(t, jwkOf("k1", &keys[0].PublicKey), jwkOf("k2", &keys[1].PublicKey)))
	clock.Advance(21 * time.Second)
	k, err := src.Key(ctx, "k2")
	if err != nil || !k.Equal(&keys[1].PublicKey) {
		t.Fatalf("Key(k2) after rotation = %v, %v", k, err)
	}
	if _, err := src.Key(ctx, "bogus"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Key(bogus) err = %v", err)
	}
	if n := srv.requests.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
}

func TestJWKSConcurrentLookupsShareOneFetch(t *testing.T) {
	keys := testKeys()
	srv := newIssuerServer(t, jwksDoc(t, jwkOf("k1", &keys[0].PublicKey)))
	src := newTestJWKS(srv.URL, &fakeClock{now: testNow})

	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		kid := "k1"
		if i%2 == 1 {
			kid = fmt.Sprintf("bogus-%d", i)
		}
		wg.Go(func() {
			_, err := src.Key(context.Background(), kid)
			if (kid == "k1") != (err == nil) {
				errs <- fmt.Errorf("Key(%s) err = %v", kid, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Fatalf("%d fetches for concurrent cold lookups, want 1", n)
	}
}

func TestJWKSFailures(t *testing.T) {
	keys := testKeys()
	doc := jwksDoc(t, jwkOf("k1", &keys[0].PublicKey))
	tests := []struct {
		name   string
		status int
		body   []byte
		want   string
	}{
		{"server error", http.StatusInternalServerError, doc, "status 500"},
		{"oversized body", http.StatusOK, append(doc, []byte(strings.Repeat(" ", maxJWKSBytes))...), "over"},
		{"not JSON", http.StatusOK, []byte("<html>"), "decode JWKS"},
		{"no usable key", http.StatusOK, []byte(`{"keys":[{"kty":"EC","kid":"k1"}]}`), "no usable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newIssuerServer(t, tt.body)
			srv.serve(tt.status, tt.body)
			src := newTestJWKS(srv.URL, &fakeClock{now: testNow})
			_, err := src.Key(context.Background(), "k1")
			if err == nil || errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Key err = %v, want a fetch error mentioning %q", err, tt.want)
			}
			// The failure is remembered for the interval, not retried.
			if _, err2 := src.Key(context.Background(), "k1"); err2 == nil || srv.requests.Load() != 1 {
				t.Fatalf("second Key err = %v after %d fetches, want the remembered failure after 1", err2, srv.requests.Load())
			}
		})
	}
}

func TestJWKSOutageKeepsCachedKeys(t *testing.T) {
	keys := testKeys()
	srv := newIssuerServer(t, jwksDoc(t, jwkOf("k1", &keys[0].PublicKey)))
	clock := &fakeClock{now: testNow}
	src := newTestJWKS(srv.URL, clock)
	if _, err := src.Key(context.Background(), "k1"); err != nil {
		t.Fatal(err)
	}
	srv.serve(http.StatusServiceUnavailable, nil)
	clock.Advance(time.Minute)
	if _, err := src.Key(context.Background(), "k2"); err == nil || errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Key(k2) during outage err = %v, want a fetch error", err)
	}
	if _, err := src.Key(context.Background(), "k1"); err != nil {
		t.Fatalf("Key(k1) during outage: %v", err)
	}
}

func TestVerifyWithJWKS(t *testing.T) {
	keys := testKeys()
	srv := newIssuerServer(t, jwksDoc(t, jwkOf(testKid, &keys[0].PublicKey)))
	v, err := NewVerifier(testIssuer, testAudience, newTestJWKS(srv.URL, &fakeClock{now: testNow}),
		WithClock(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	token := sign(t, jwt.SigningMethodRS256, keys[0], map[string]any{"kid": testKid}, validClaims())
	if _, err := v.Verify(context.Background(), token); err != nil {
		t.Fatalf("Verify: %v", err)
	}

	srv.serve(http.StatusBadGateway, nil)
	down, err := NewVerifier(testIssuer, testAudience, newTestJWKS(srv.URL, &fakeClock{now: testNow}),
		WithClock(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := down.Verify(context.Background(), token); !errors.Is(err, ErrUnauthenticated) ||
		!strings.Contains(err.Error(), "signing keys unavailable") {
		t.Fatalf("Verify with the issuer down err = %v", err)
	}
}

func TestParseJWKS(t *testing.T) {
	pub := &testKeys()[0].PublicKey
	good := jwkOf("good", pub)
	edit := func(set map[string]string) map[string]string {
		k := jwkOf("other", pub)
		for f, v := range set {
			k[f] = v
		}
		return k
	}
	weakN := make([]byte, 128) // 1024 bits
	weakN[0] = 0x80
	tests := []struct {
		name string
		key  map[string]string
	}{
		{"EC key", edit(map[string]string{"kty": "EC"})},
		{"encryption key", edit(map[string]string{"use": "enc"})},
		{"other algorithm", edit(map[string]string{"alg": "RS512"})},
		{"no kid", edit(map[string]string{"kid": ""})},
		{"padded modulus", edit(map[string]string{"n": base64.URLEncoding.EncodeToString(pub.N.Bytes())})},
		{"weak modulus", edit(map[string]string{"n": base64.RawURLEncoding.EncodeToString(weakN)})},
		{"even exponent", edit(map[string]string{"e": "Ag"})},
		{"exponent 1", edit(map[string]string{"e": "AQ"})},
		{"huge exponent", edit(map[string]string{"e": "AQAAAAAB"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseJWKS(jwksDoc(t, good, tt.key))
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := got["other"]; ok || len(got) != 1 || !got["good"].Equal(pub) {
				t.Fatalf("parseJWKS kept %v, want only the good key", got)
			}
			if _, err := parseJWKS(jwksDoc(t, tt.key)); err == nil {
				t.Fatal("a document of only skipped keys parsed")
			}
		})
	}
	// A duplicate kid keeps the first key: a later entry cannot shadow it.
	other := jwkOf("good", &testKeys()[1].PublicKey)
	got, err := parseJWKS(jwksDoc(t, good, other))
	if err != nil || !got["good"].Equal(pub) {
		t.Fatalf("duplicate kid: %v, %v", got, err)
	}
}

// FuzzParseJWKS checks the decoder of the issuer's document never panics
// and only yields keys it can verify with.
func FuzzParseJWKS(f *testing.F) {
	f.Add(jwksDoc(f, jwkOf("k", &testKeys()[0].PublicKey)))
	f.Add([]byte(`{"keys":[{"kty":"RSA","kid":"k","n":"","e":""}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		keys, err := parseJWKS(body)
		if err != nil {
			return
		}
		for kid, k := range keys {
			if kid == "" || k.N.BitLen() < minRSABits || k.E < 3 {
				t.Fatalf("parseJWKS yielded unusable key %q", kid)
			}
		}
	})
}

func TestJWKSWaitHonoursContext(t *testing.T) {
	keys := testKeys()
	release := make(chan struct{})
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		<-release
		_, _ = w.Write(jwksDoc(t, jwkOf("k1", &keys[0].PublicKey)))
	}))
	defer srv.Close()
	defer close(release)
	src := newTestJWKS(srv.URL, &fakeClock{now: testNow})

	// A caller giving up does not cancel the fetch others may be waiting on.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := src.Key(ctx, "k1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Key with a short deadline err = %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := src.Key(context.Background(), "k1")
		done <- err
	}()
	release <- struct{}{}
	if err := <-done; err != nil {
		t.Fatalf("Key after the slow fetch ended: %v", err)
	}
	if n := requests.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
}
