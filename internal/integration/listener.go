package integration

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// A tenant's listener URL is where PeopleHR posts its change
// notifications. PeopleHR signs nothing, so the URL carries the secret:
// 256 random bits, shown once; only its SHA-256 is stored, and a
// notification finds its tenant by that hash (a lookup by hash compares
// nothing byte by byte, so it leaks no timing). A notification is a hint
// that names an employee, never data: the run it asks for reads PeopleHR
// again with the tenant's key.

// Listener is a tenant's listener, as the admin sees it.
type Listener struct {
	CreatedAt time.Time
}

// NewListenerSecret is a fresh listener secret and the hash that is
// stored.
func NewListenerSecret() (secret, hash string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	secret = base64.RawURLEncoding.EncodeToString(b[:])
	return secret, ListenerHash(secret)
}

// ListenerHash is what is stored of a listener secret.
func ListenerHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
