package devstack

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Region is the region the local stack claims to be in.
const Region = "eu-west-2"

// AccountID is moto's default account: the account in every ARN it returns.
const AccountID = "123456789012"

// AWSConfig is an SDK configuration for the emulator at endpoint, with fake
// static credentials. It is built by hand rather than with
// config.LoadDefaultConfig on purpose: nothing from the developer's
// environment (AWS_PROFILE, AWS_ENDPOINT_URL_*, ~/.aws) may leak in and send
// a test to a real account.
func AWSConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider("test", "test", "")),
		BaseEndpoint: aws.String(endpoint),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				// A local server either answers at once or is broken:
				// retry briefly, and without the client-side retry quota,
				// which a test provoking many errors would otherwise
				// exhaust and turn into spurious "retry quota exceeded".
				o.MaxAttempts = 3
				o.MaxBackoff = 500 * time.Millisecond
				o.RateLimiter = ratelimit.None
			})
		},
	}
}

// Clients are SDK clients for the services the project uses, and for
// CloudFormation and Lambda, through which Provision creates and reads the
// stack.
type Clients struct {
	EventBridge    *eventbridge.Client
	DynamoDB       *dynamodb.Client
	S3             *s3.Client
	KMS            *kms.Client
	SQS            *sqs.Client
	CloudFormation *cloudformation.Client
	Lambda         *lambda.Client
}

// NewClients builds clients from cfg, usually AWSConfig(moto.Endpoint()).
// Each client's BaseEndpoint is set from cfg explicitly, so a cfg built
// elsewhere cannot route one service somewhere else.
func NewClients(cfg aws.Config) *Clients {
	endpoint := cfg.BaseEndpoint
	return &Clients{
		EventBridge: eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = endpoint }),
		DynamoDB:    dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = endpoint }),
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint = endpoint
			S3PathStyle(o)
		}),
		KMS:            kms.NewFromConfig(cfg, func(o *kms.Options) { o.BaseEndpoint = endpoint }),
		SQS:            sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = endpoint }),
		CloudFormation: cloudformation.NewFromConfig(cfg, func(o *cloudformation.Options) { o.BaseEndpoint = endpoint }),
		Lambda:         lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.BaseEndpoint = endpoint }),
	}
}

// S3PathStyle is the S3 client option every client of a local endpoint needs:
// virtual-hosted addressing would put the bucket in the host name
// (bucket.127.0.0.1), which does not resolve.
func S3PathStyle(o *s3.Options) { o.UsePathStyle = true }
