package secrets

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// KMSAPI is the part of the KMS client the sealer calls.
type KMSAPI interface {
	Encrypt(context.Context, *kms.EncryptInput, ...func(*kms.Options)) (*kms.EncryptOutput, error)
	Decrypt(context.Context, *kms.DecryptInput, ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

// Sealer encrypts API keys under one KMS key.
type Sealer struct {
	kms   KMSAPI
	keyID string
}

// NewSealer builds a Sealer on the KMS key keyID (id, ARN or alias).
func NewSealer(client KMSAPI, keyID string) *Sealer { return &Sealer{kms: client, keyID: keyID} }

func encryptionContext(tenant string) map[string]string { return map[string]string{"tenant": tenant} }

// Seal encrypts a tenant's API key.
func (s *Sealer) Seal(ctx context.Context, tenant, apiKey string) ([]byte, error) {
	out, err := s.kms.Encrypt(ctx, &kms.EncryptInput{
		KeyId: &s.keyID, Plaintext: []byte(apiKey), EncryptionContext: encryptionContext(tenant),
	})
	if err != nil {
		return nil, fmt.Errorf("seal API key: %w", err)
	}
	return out.CiphertextBlob, nil
}

// Open decrypts a tenant's sealed API key. The error never carries the key.
func (s *Sealer) Open(ctx context.Context, tenant string, sealed []byte) (string, error) {
	out, err := s.kms.Decrypt(ctx, &kms.DecryptInput{
		KeyId: &s.keyID, CiphertextBlob: sealed, EncryptionContext: encryptionContext(tenant),
	})
	if err != nil {
		return "", fmt.Errorf("open API key: %w", err)
	}
	return string(out.Plaintext), nil
}

// Last4 is all of a key that may ever be shown; a key too short for four
// characters to be a small part of it shows nothing.
func Last4(apiKey string) string {
	if len(apiKey) < 16 {
		return ""
	}
	return apiKey[len(apiKey)-4:]
}
