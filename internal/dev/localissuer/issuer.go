package localissuer

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/peoplesync/peoplesync/internal/auth"
)

// Settings the local stack shares between the token command and the API
// server.
const (
	// DefaultPath is the signing key's file, relative to the repo root
	// (git-ignored).
	DefaultPath     = ".local/issuer.pem"
	DefaultIssuer   = "http://127.0.0.1:8080/local-issuer"
	DefaultAudience = "peoplesync-local"
	// DefaultPlatformAudience is the platform API's audience, for
	// machine tokens.
	DefaultPlatformAudience = "peoplesync-platform"
)

const (
	keyBits    = 2048
	pemKeyType = "PRIVATE KEY" // PKCS #8
)

// Issuer signs admin tokens for one issuer name and audience, and
// platform tokens for the same issuer and an audience of their own.
type Issuer struct {
	key      *rsa.PrivateKey
	kid      string
	issuer   string
	audience string
	jwks     []byte
}

// New makes an Issuer with a fresh key held only in memory, for tests.
func New(issuer, audience string) (*Issuer, error) {
	key, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, fmt.Errorf("generate issuer key: %w", err)
	}
	return newIssuer(key, issuer, audience)
}

// LoadOrCreate makes an Issuer with the key in path (PKCS #8 PEM),
// generating and saving one (mode 0600, parent directory 0700) when the
// file does not exist, so the token command and the local API server agree
// on the key across restarts.
func LoadOrCreate(path, issuer, audience string) (*Issuer, error) {
	key, err := loadKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createKey(path)
	}
	if err != nil {
		return nil, err
	}
	return newIssuer(key, issuer, audience)
}

func newIssuer(key *rsa.PrivateKey, issuer, audience string) (*Issuer, error) {
	if issuer == "" || audience == "" {
		return nil, errors.New("local issuer: issuer and audience are required")
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("local issuer: encode public key: %w", err)
	}
	// The kid is derived from the key, so it changes exactly when the key
	// does and verifiers holding the old key refetch the JWKS.
	sum := sha256.Sum256(der)
	kid := base64.RawURLEncoding.EncodeToString(sum[:8])
	jwks, err := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA",
		"use": "sig",
		"alg": jwt.SigningMethodRS256.Alg(),
		"kid": kid,
		"n":   base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
		"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
	}}})
	if err != nil {
		return nil, fmt.Errorf("local issuer: encode JWKS: %w", err)
	}
	return &Issuer{key: key, kid: kid, issuer: issuer, audience: audience, jwks: jwks}, nil
}

func loadKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load issuer key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != pemKeyType {
		return nil, fmt.Errorf("load issuer key %s: no %q PEM block", path, pemKeyType)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("load issuer key %s: %w", path, err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("load issuer key %s: not an RSA key", path)
	}
	if key.N.BitLen() < keyBits {
		return nil, fmt.Errorf("load issuer key %s: %d-bit key, want at least %d", path, key.N.BitLen(), keyBits)
	}
	return key, nil
}

// createKey generates a key and saves it at path. It writes a temporary
// file and links it into place, so a reader never sees half a key and,
// when two processes race on a fresh checkout, both end up with the key
// that won.
func createKey(path string) (*rsa.PrivateKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, fmt.Errorf("generate issuer key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode issuer key: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create issuer key directory: %w", err)
	}
	// os.CreateTemp opens the file with mode 0600.
	tmp, err := os.CreateTemp(dir, ".issuer-*.pem")
	if err != nil {
		return nil, fmt.Errorf("save issuer key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := pem.Encode(tmp, &pem.Block{Type: pemKeyType, Bytes: der}); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("save issuer key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("save issuer key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return loadKey(path)
		}
		return nil, fmt.Errorf("save issuer key: %w", err)
	}
	return key, nil
}

// Token signs an admin token for tenant and email, valid for ttl from now.
// It refuses a tenant, email or ttl (over auth.MaxTokenLifetime) the
// verifier would refuse, so a bad flag fails here rather than as a 401
// later.
func (i *Issuer) Token(tenant, email string, ttl time.Duration) (string, error) {
	p, err := auth.FromClaims(map[string]string{auth.ClaimTenant: tenant, auth.ClaimEmail: email})
	if err != nil {
		return "", fmt.Errorf("sign token for tenant %q, email %q: %w", tenant, email, err)
	}
	if ttl <= 0 || ttl > auth.MaxTokenLifetime {
		return "", fmt.Errorf("sign token: ttl %v is not from 1s to %v", ttl, auth.MaxTokenLifetime)
	}
	now := time.Now()
	return i.sign(jwt.MapClaims{
		"iss":            i.issuer,
		"aud":            i.audience,
		"sub":            p.Email,
		auth.ClaimTenant: p.TenantID,
		auth.ClaimEmail:  p.Email,
		"iat":            now.Unix(),
		"nbf":            now.Unix(),
		"exp":            now.Add(ttl).Unix(),
	})
}

// MachineToken signs a platform (machine-to-machine) token for client with
// scopes, for audience (the platform API's, never the admin one the Issuer
// was made with), valid for ttl from now. Like Token it refuses what the
// verifier would refuse.
func (i *Issuer) MachineToken(audience, client string, scopes []string, ttl time.Duration) (string, error) {
	// A platform token for the admin audience would only be refused later,
	// by the admin verifier, as a token without a tenant.
	if audience == "" || audience == i.audience {
		return "", fmt.Errorf("sign machine token: audience %q is not a platform audience", audience)
	}
	m, err := auth.MachineFromClaims(map[string]string{auth.ClaimClient: client, auth.ClaimScope: strings.Join(scopes, " ")})
	if err != nil {
		return "", fmt.Errorf("sign machine token for client %q, scopes %q: %w", client, scopes, err)
	}
	// Joined and split again, a scope holding a space would become two.
	if !slices.Equal(m.Scopes, scopes) {
		return "", fmt.Errorf("sign machine token: scopes %q: each must be one word, none empty", scopes)
	}
	if ttl <= 0 || ttl > auth.MaxTokenLifetime {
		return "", fmt.Errorf("sign machine token: ttl %v is not from 1s to %v", ttl, auth.MaxTokenLifetime)
	}
	now := time.Now()
	return i.sign(jwt.MapClaims{
		"iss":            i.issuer,
		"aud":            audience,
		"sub":            m.Client,
		auth.ClaimClient: m.Client,
		auth.ClaimScope:  strings.Join(scopes, " "),
		"iat":            now.Unix(),
		"nbf":            now.Unix(),
		"exp":            now.Add(ttl).Unix(),
	})
}

// sign signs claims with the issuer's key, naming it in the kid header.
func (i *Issuer) sign(claims jwt.MapClaims) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = i.kid
	signed, err := tok.SignedString(i.key)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return signed, nil
}

// JWKS returns the public key as a JWKS document (RFC 7517).
func (i *Issuer) JWKS() []byte { return slices.Clone(i.jwks) }

// JWKSHandler serves JWKS, for a verifier that fetches keys over HTTP as
// it would from the real identity provider.
func (i *Issuer) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(i.jwks)
	})
}

// Keys is the public key as a KeySource, for a verifier in the same
// process.
func (i *Issuer) Keys() auth.KeySource {
	return auth.StaticKeys(map[string]*rsa.PublicKey{i.kid: &i.key.PublicKey})
}

// Issuer is the "iss" the tokens carry.
func (i *Issuer) Issuer() string { return i.issuer }

// Audience is the "aud" the admin tokens carry.
func (i *Issuer) Audience() string { return i.audience }
