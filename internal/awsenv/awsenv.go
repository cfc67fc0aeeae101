// Package awsenv builds a function's AWS configuration and settings from its
// environment, the one place where Lambda and the local stack differ.
package awsenv

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
)

// callTimeout bounds every AWS call; the SDK's standard retryer adds
// jittered, bounded retries on top.
const callTimeout = 20 * time.Second

// Load reads the SDK configuration: the Lambda role in AWS, or
// AWS_ENDPOINT_URL (honoured by the SDK itself) for a local emulator.
func Load(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(callTimeout)),
		config.WithRetryMaxAttempts(5),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	return cfg, nil
}

// Require reads the named environment variables, failing with every
// missing name at once.
func Require(names ...string) (map[string]string, error) {
	out := make(map[string]string, len(names))
	var missing []string
	for _, n := range names {
		v := os.Getenv(n)
		if v == "" {
			missing = append(missing, n)
		}
		out[n] = v
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing environment: %s", strings.Join(missing, ", "))
	}
	return out, nil
}
