package devstack

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// The resource types Provision creates; it ignores every other type.
const (
	typeTable  = "AWS::DynamoDB::Table"
	typeBucket = "AWS::S3::Bucket"
	typeKey    = "AWS::KMS::Key"
	typeQueue  = "AWS::SQS::Queue"
	typeBus    = "AWS::Events::EventBus"
)

type createFunc func(ctx context.Context, c *Clients, rv resolver, name string, props map[string]any) (created, error)

var creators = map[string]createFunc{
	typeTable:  createTable,
	typeBucket: createBucket,
	typeKey:    createKey,
	typeQueue:  createQueue,
	typeBus:    createBus,
}

// Resources are the resources Provision created, by logical id.
type Resources struct {
	region string
	byID   map[string]created
}

// created is one provisioned resource.
type created struct {
	name  string            // table, bucket or queue name; key id
	ref   string            // what Ref returns: the name, or a queue's URL
	attrs map[string]string // what Fn::GetAtt returns, always with "Arn"
}

// Ref is what !Ref logicalID gives in AWS: the table or bucket name, the
// queue URL, the key id. It panics if logicalID was not provisioned: logical
// ids are constants in the calling code, so that is a bug.
func (r *Resources) Ref(logicalID string) string { return r.get(logicalID).ref }

// Name is the resource's name: the table, bucket or queue name, or the key
// id. It panics if logicalID was not provisioned.
func (r *Resources) Name(logicalID string) string { return r.get(logicalID).name }

// Arn is what !GetAtt logicalID.Arn gives. It panics if logicalID was not
// provisioned.
func (r *Resources) Arn(logicalID string) string { return r.get(logicalID).attrs["Arn"] }

func (r *Resources) get(logicalID string) created {
	c, ok := r.byID[logicalID]
	if !ok {
		panic(fmt.Sprintf("devstack: resource %q was not provisioned", logicalID))
	}
	return c
}

// Provision creates in the emulator at cfg.BaseEndpoint every DynamoDB table,
// S3 bucket, KMS key and SQS queue of t, named prefix+LogicalId (made valid
// for the service: bucket names are lower-cased, FIFO queue names get
// ".fifo"); names given in the template are ignored so that tests with
// different prefixes can share one emulator. Resources that others refer to,
// such as a dead-letter queue, are created first. The names must not exist
// yet: use a fresh prefix, or Moto.Reset, to provision again.
func Provision(ctx context.Context, cfg aws.Config, t *Template, prefix string) (*Resources, error) {
	order, err := provisionOrder(t)
	if err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	clients := NewClients(cfg)
	res := &Resources{region: cfg.Region, byID: map[string]created{}}
	rv := resolver{t: t, res: res}
	for _, id := range order {
		r := t.Resources[id]
		c, err := creators[r.Type](ctx, clients, rv, prefix+id, r.Properties)
		if err != nil {
			return nil, fmt.Errorf("provision %s (%s): %w", id, r.Type, err)
		}
		res.byID[id] = c
	}
	return res, nil
}

// provisionOrder lists the resources Provision creates, each after those it
// refers to, otherwise in template order.
func provisionOrder(t *Template) ([]string, error) {
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var order []string
	var visit func(id string) error
	visit = func(id string) error {
		switch state[id] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("dependency cycle through resource %s", id)
		}
		state[id] = visiting
		deps := references(t.Resources[id].Properties)
		slices.Sort(deps)
		for _, dep := range slices.Compact(deps) {
			if r, ok := t.Resources[dep]; ok && creators[r.Type] != nil {
				if err := visit(dep); err != nil {
					return err
				}
			}
		}
		state[id] = done
		order = append(order, id)
		return nil
	}
	for _, id := range t.order {
		if creators[t.Resources[id].Type] != nil {
			if err := visit(id); err != nil {
				return nil, err
			}
		}
	}
	return order, nil
}

// decode resolves the properties named like dst's fields and decodes them
// into dst, so that each resource type declares the properties it honours as
// a struct. Properties not in dst are neither resolved nor checked.
func (rv resolver) decode(props map[string]any, dst any) error {
	fields := reflect.TypeOf(dst).Elem()
	picked := map[string]any{}
	for i := range fields.NumField() {
		name := fields.Field(i).Name
		v, ok := props[name]
		if !ok {
			continue
		}
		r, err := rv.resolve(v)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		picked[name] = r
	}
	data, err := json.Marshal(picked)
	if err != nil {
		return fmt.Errorf("encode properties: %w", err)
	}
	if err := json.Unmarshal(data, dst); err != nil {
		return fmt.Errorf("properties: %w", err)
	}
	return nil
}

type tableProps struct {
	BillingMode          string
	AttributeDefinitions []struct {
		AttributeName string
		AttributeType string
	}
	KeySchema               []keyElement
	GlobalSecondaryIndexes  []secondaryIndex
	LocalSecondaryIndexes   []secondaryIndex
	ProvisionedThroughput   *throughput
	TimeToLiveSpecification *struct {
		AttributeName string
		Enabled       string
	}
	// Not honoured, as the emulator has no use for them:
	// PointInTimeRecoverySpecification, SSESpecification, StreamSpecification.
}

type keyElement struct {
	AttributeName string
	KeyType       string
}

type secondaryIndex struct {
	IndexName  string
	KeySchema  []keyElement
	Projection struct {
		ProjectionType   string
		NonKeyAttributes []string
	}
	ProvisionedThroughput *throughput
}

type throughput struct {
	ReadCapacityUnits  string
	WriteCapacityUnits string
}

var invalidTableChars = regexp.MustCompile(`[^a-zA-Z0-9_.-]`)

func createTable(ctx context.Context, c *Clients, rv resolver, name string, props map[string]any) (created, error) {
	name = invalidTableChars.ReplaceAllString(name, "-")
	if len(name) < 3 || len(name) > 255 {
		return created{}, fmt.Errorf("table name %q must have 3 to 255 characters", name)
	}
	var p tableProps
	if err := rv.decode(props, &p); err != nil {
		return created{}, err
	}
	// CloudFormation's default billing mode.
	billing := ddbtypes.BillingModeProvisioned
	if p.BillingMode != "" {
		billing = ddbtypes.BillingMode(p.BillingMode)
	}
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: billing,
		KeySchema:   keySchema(p.KeySchema),
	}
	for _, a := range p.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName),
			AttributeType: ddbtypes.ScalarAttributeType(a.AttributeType),
		})
	}
	provisioned := billing == ddbtypes.BillingModeProvisioned
	if provisioned {
		var err error
		if in.ProvisionedThroughput, err = p.ProvisionedThroughput.sdk(); err != nil {
			return created{}, err
		}
	}
	for _, ix := range p.GlobalSecondaryIndexes {
		gsi := ddbtypes.GlobalSecondaryIndex{
			IndexName:  aws.String(ix.IndexName),
			KeySchema:  keySchema(ix.KeySchema),
			Projection: ix.projection(),
		}
		if provisioned {
			var err error
			if gsi.ProvisionedThroughput, err = ix.ProvisionedThroughput.sdk(); err != nil {
				return created{}, fmt.Errorf("index %s: %w", ix.IndexName, err)
			}
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, gsi)
	}
	for _, ix := range p.LocalSecondaryIndexes {
		in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, ddbtypes.LocalSecondaryIndex{
			IndexName:  aws.String(ix.IndexName),
			KeySchema:  keySchema(ix.KeySchema),
			Projection: ix.projection(),
		})
	}

	out, err := c.DynamoDB.CreateTable(ctx, in)
	if err != nil {
		return created{}, fmt.Errorf("create table %s: %w", name, err)
	}
	waiter := dynamodb.NewTableExistsWaiter(c.DynamoDB, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second); err != nil {
		return created{}, fmt.Errorf("wait for table %s: %w", name, err)
	}
	if ttl := p.TimeToLiveSpecification; ttl != nil {
		enabled, err := strconv.ParseBool(ttl.Enabled)
		if err != nil {
			return created{}, fmt.Errorf("TimeToLiveSpecification.Enabled: %w", err)
		}
		// Disabling TTL on a table that never had it is an error in
		// DynamoDB, and a new table has it off already.
		if enabled {
			_, err := c.DynamoDB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
				TableName: aws.String(name),
				TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{
					AttributeName: aws.String(ttl.AttributeName),
					Enabled:       aws.Bool(true),
				},
			})
			if err != nil {
				return created{}, fmt.Errorf("enable TTL on table %s: %w", name, err)
			}
		}
	}
	return created{
		name:  name,
		ref:   name,
		attrs: map[string]string{"Arn": aws.ToString(out.TableDescription.TableArn)},
	}, nil
}

func keySchema(elems []keyElement) []ddbtypes.KeySchemaElement {
	out := make([]ddbtypes.KeySchemaElement, 0, len(elems))
	for _, e := range elems {
		out = append(out, ddbtypes.KeySchemaElement{
			AttributeName: aws.String(e.AttributeName),
			KeyType:       ddbtypes.KeyType(e.KeyType),
		})
	}
	return out
}

func (ix secondaryIndex) projection() *ddbtypes.Projection {
	return &ddbtypes.Projection{
		ProjectionType:   ddbtypes.ProjectionType(ix.Projection.ProjectionType),
		NonKeyAttributes: ix.Projection.NonKeyAttributes,
	}
}

func (t *throughput) sdk() (*ddbtypes.ProvisionedThroughput, error) {
	if t == nil {
		return nil, fmt.Errorf("ProvisionedThroughput is required with BillingMode PROVISIONED")
	}
	r, err1 := strconv.ParseInt(t.ReadCapacityUnits, 10, 64)
	w, err2 := strconv.ParseInt(t.WriteCapacityUnits, 10, 64)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("ProvisionedThroughput: capacity units %q/%q are not integers", t.ReadCapacityUnits, t.WriteCapacityUnits)
	}
	return &ddbtypes.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(r), WriteCapacityUnits: aws.Int64(w)}, nil
}

type bucketProps struct {
	LifecycleConfiguration *struct {
		Rules []struct {
			Id               string
			Status           string
			Prefix           string
			ExpirationInDays string
		}
	}
	// Not honoured: encryption, public access blocks, ownership controls,
	// versioning and notifications change nothing a local test can observe.
}

var invalidBucketChars = regexp.MustCompile(`[^a-z0-9.-]`)

// bucketName makes name a valid S3 bucket name: lower case, no character
// outside [a-z0-9.-], starting and ending with a letter or digit.
func bucketName(name string) (string, error) {
	name = strings.Trim(invalidBucketChars.ReplaceAllString(strings.ToLower(name), "-"), ".-")
	if len(name) < 3 || len(name) > 63 {
		return "", fmt.Errorf("bucket name %q must have 3 to 63 characters", name)
	}
	return name, nil
}

func createBucket(ctx context.Context, c *Clients, rv resolver, name string, props map[string]any) (created, error) {
	name, err := bucketName(name)
	if err != nil {
		return created{}, err
	}
	var p bucketProps
	if err := rv.decode(props, &p); err != nil {
		return created{}, err
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	// us-east-1 is the one region S3 refuses as a location constraint.
	if rv.res.region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{
			LocationConstraint: s3types.BucketLocationConstraint(rv.res.region),
		}
	}
	if _, err := c.S3.CreateBucket(ctx, in); err != nil {
		return created{}, fmt.Errorf("create bucket %s: %w", name, err)
	}
	if p.LifecycleConfiguration != nil {
		// Only expiration by age is carried over; moto stores lifecycle
		// rules but never applies them, so they serve to check the
		// configuration, not to expire anything.
		var rules []s3types.LifecycleRule
		for _, r := range p.LifecycleConfiguration.Rules {
			if r.ExpirationInDays == "" {
				continue
			}
			days, err := strconv.ParseInt(r.ExpirationInDays, 10, 32)
			if err != nil {
				return created{}, fmt.Errorf("lifecycle rule %s: ExpirationInDays: %w", r.Id, err)
			}
			rules = append(rules, s3types.LifecycleRule{
				ID:         aws.String(r.Id),
				Status:     s3types.ExpirationStatus(r.Status),
				Filter:     &s3types.LifecycleRuleFilter{Prefix: aws.String(r.Prefix)},
				Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(int32(days))},
			})
		}
		if len(rules) > 0 {
			_, err := c.S3.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
				Bucket:                 aws.String(name),
				LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: rules},
			})
			if err != nil {
				return created{}, fmt.Errorf("put lifecycle of bucket %s: %w", name, err)
			}
		}
	}
	return created{
		name:  name,
		ref:   name,
		attrs: map[string]string{"Arn": "arn:aws:s3:::" + name},
	}, nil
}

type keyProps struct {
	Description string
	KeySpec     string
	KeyUsage    string
	// Not honoured: KeyPolicy (moto does not enforce key policies) and
	// EnableKeyRotation (nothing to rotate in a test).
}

func createKey(ctx context.Context, c *Clients, rv resolver, name string, props map[string]any) (created, error) {
	var p keyProps
	if err := rv.decode(props, &p); err != nil {
		return created{}, err
	}
	// Keys have no name; the description tells whose key it is when
	// several prefixes share an emulator.
	desc := name
	if p.Description != "" {
		desc += ": " + p.Description
	}
	// CloudFormation's defaults: a symmetric encryption key.
	in := &kms.CreateKeyInput{
		Description: aws.String(desc),
		KeySpec:     kmstypes.KeySpecSymmetricDefault,
		KeyUsage:    kmstypes.KeyUsageTypeEncryptDecrypt,
	}
	if p.KeySpec != "" {
		in.KeySpec = kmstypes.KeySpec(p.KeySpec)
	}
	if p.KeyUsage != "" {
		in.KeyUsage = kmstypes.KeyUsageType(p.KeyUsage)
	}
	out, err := c.KMS.CreateKey(ctx, in)
	if err != nil {
		return created{}, fmt.Errorf("create key %s: %w", name, err)
	}
	id := aws.ToString(out.KeyMetadata.KeyId)
	return created{
		name:  id,
		ref:   id,
		attrs: map[string]string{"Arn": aws.ToString(out.KeyMetadata.Arn), "KeyId": id},
	}, nil
}

type queueProps struct {
	ContentBasedDeduplication     string
	DelaySeconds                  string
	FifoQueue                     string
	MaximumMessageSize            string
	MessageRetentionPeriod        string
	ReceiveMessageWaitTimeSeconds string
	VisibilityTimeout             string
	RedrivePolicy                 *struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		MaxReceiveCount     string `json:"maxReceiveCount"`
	}
	// Not honoured: encryption settings and RedriveAllowPolicy.
}

var invalidQueueChars = regexp.MustCompile(`[^a-zA-Z0-9_-]`)

func createQueue(ctx context.Context, c *Clients, rv resolver, name string, props map[string]any) (created, error) {
	name = invalidQueueChars.ReplaceAllString(name, "-")
	var p queueProps
	if err := rv.decode(props, &p); err != nil {
		return created{}, err
	}
	// The property names are SQS's attribute names.
	attrs := map[string]string{}
	for k, v := range map[string]string{
		"ContentBasedDeduplication":     p.ContentBasedDeduplication,
		"DelaySeconds":                  p.DelaySeconds,
		"MaximumMessageSize":            p.MaximumMessageSize,
		"MessageRetentionPeriod":        p.MessageRetentionPeriod,
		"ReceiveMessageWaitTimeSeconds": p.ReceiveMessageWaitTimeSeconds,
		"VisibilityTimeout":             p.VisibilityTimeout,
	} {
		if v != "" {
			attrs[k] = v
		}
	}
	if p.FifoQueue != "" {
		fifo, err := strconv.ParseBool(p.FifoQueue)
		if err != nil {
			return created{}, fmt.Errorf("FifoQueue: %w", err)
		}
		// SQS rejects FifoQueue=false; a standard queue simply omits it.
		if fifo {
			attrs["FifoQueue"] = "true"
			name += ".fifo"
		}
	}
	if len(name) > 80 {
		return created{}, fmt.Errorf("queue name %q is longer than 80 characters", name)
	}
	if rp := p.RedrivePolicy; rp != nil {
		n, err := strconv.Atoi(rp.MaxReceiveCount)
		if err != nil {
			return created{}, fmt.Errorf("RedrivePolicy.maxReceiveCount: %w", err)
		}
		policy, err := json.Marshal(struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			MaxReceiveCount     int    `json:"maxReceiveCount"`
		}{rp.DeadLetterTargetArn, n})
		if err != nil {
			return created{}, fmt.Errorf("encode RedrivePolicy: %w", err)
		}
		attrs["RedrivePolicy"] = string(policy)
	}
	out, err := c.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return created{}, fmt.Errorf("create queue %s: %w", name, err)
	}
	url := aws.ToString(out.QueueUrl)
	got, err := c.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       out.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return created{}, fmt.Errorf("get ARN of queue %s: %w", name, err)
	}
	return created{
		name: name,
		ref:  url,
		attrs: map[string]string{
			"Arn":       got.Attributes[string(sqstypes.QueueAttributeNameQueueArn)],
			"QueueName": name,
			"QueueUrl":  url,
		},
	}, nil
}

// createBus creates an EventBridge bus; Ref gives its name, as in AWS.
func createBus(ctx context.Context, c *Clients, _ resolver, name string, _ map[string]any) (created, error) {
	out, err := c.EventBridge.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(name)})
	if err != nil {
		return created{}, fmt.Errorf("create event bus %s: %w", name, err)
	}
	return created{name: name, ref: name, attrs: map[string]string{"Arn": aws.ToString(out.EventBusArn), "Name": name}}, nil
}
