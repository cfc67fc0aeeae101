package secrets_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/peoplesync/peoplesync/internal/dev/devstack"
	"github.com/peoplesync/peoplesync/internal/secrets"
)

var moto *devstack.Moto

func TestMain(m *testing.M) { os.Exit(devstack.RunWithMoto(m, &moto)) }

func TestSealIsBoundToTheTenant(t *testing.T) {
	ctx := context.Background()
	client := devstack.NewClients(devstack.AWSConfig(moto.Endpoint())).KMS
	key, err := client.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	s := secrets.NewSealer(client, *key.KeyMetadata.Arn)
	const apiKey = "0f8fad5b-d9cb-469f-a165-70867728950e"

	sealed, err := s.Seal(ctx, "acme", apiKey)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(apiKey)) {
		t.Fatal("the sealed key holds the plaintext")
	}
	got, err := s.Open(ctx, "acme", sealed)
	if err != nil || got != apiKey {
		t.Fatalf("open: %v", err)
	}
	_, err = s.Open(ctx, "globex", sealed)
	if err == nil {
		t.Fatal("another tenant opened acme's key")
	}
	if strings.Contains(err.Error(), apiKey) {
		t.Fatal("the error carries the key")
	}
}

func TestLast4(t *testing.T) {
	for in, want := range map[string]string{
		"0f8fad5b-d9cb-469f-a165-70867728950e": "950e",
		"3b1f0c9e2a7d4e6f8a0b1c2d3e4f5a6b":     "5a6b",
		"short":                                "",
		"":                                     "",
	} {
		if got := secrets.Last4(in); got != want {
			t.Errorf("Last4(%q) = %q, want %q", in, got, want)
		}
	}
}
