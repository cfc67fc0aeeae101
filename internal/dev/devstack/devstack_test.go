package devstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// One emulator serves the whole test binary; each test provisions under its
// own prefix.
var (
	moto    *Moto
	cfg     aws.Config
	clients *Clients
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var err error
	moto, err = StartMoto(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	pid := moto.cmd.Process.Pid
	cfg = AWSConfig(moto.Endpoint())
	clients = NewClients(cfg)

	code := m.Run()
	moto.Stop()
	if alive(pid) {
		fmt.Fprintf(os.Stderr, "moto_server (pid %d) still running after Stop\n", pid)
		return 1
	}
	return code
}

// alive reports whether a process with this pid exists.
func alive(pid int) bool {
	return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func loadRealTemplate(t *testing.T) *Template {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := LoadTemplate(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// provisions counts provision calls, so that a rerun (go test -count=N,
// which reuses the emulator) never meets the names of an earlier run.
var provisions atomic.Int64

// provision provisions tpl under a fresh prefix starting with base, and
// returns the resources and the prefix.
func provision(t *testing.T, tpl *Template, base string) (*Resources, string) {
	t.Helper()
	prefix := fmt.Sprintf("%s%d-", base, provisions.Add(1))
	res, err := Provision(t.Context(), cfg, tpl, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return res, prefix
}

func TestProvisionTemplate(t *testing.T) {
	ctx := t.Context()
	tpl := loadRealTemplate(t)
	res, prefix := provision(t, tpl, "prov")

	t.Run("table", func(t *testing.T) {
		// CloudFormation's own naming: stack name, logical id, suffix.
		if got := res.Ref("Table"); !strings.HasPrefix(got, prefix+"Table-") || res.Name("Table") != got {
			t.Errorf("Ref(Table) = %q, Name(Table) = %q", got, res.Name("Table"))
		}
		out, err := clients.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(res.Ref("Table"))})
		if err != nil {
			t.Fatal(err)
		}
		tbl := out.Table
		if tbl.TableStatus != ddbtypes.TableStatusActive {
			t.Errorf("status %s", tbl.TableStatus)
		}
		if got := aws.ToString(tbl.TableArn); got != res.Arn("Table") {
			t.Errorf("ARN %s, Arn(Table) = %s", got, res.Arn("Table"))
		}
		if got := keys(tbl.KeySchema); got != "PK HASH, SK RANGE" {
			t.Errorf("key schema %s", got)
		}
		if tbl.BillingModeSummary == nil || tbl.BillingModeSummary.BillingMode != ddbtypes.BillingModePayPerRequest {
			t.Errorf("billing mode %+v", tbl.BillingModeSummary)
		}
		gsis := map[string]ddbtypes.GlobalSecondaryIndexDescription{}
		for _, g := range tbl.GlobalSecondaryIndexes {
			gsis[aws.ToString(g.IndexName)] = g
		}
		if len(gsis) != 6 {
			t.Fatalf("GSIs: %+v", tbl.GlobalSecondaryIndexes)
		}
		if gsi := gsis["GSI1"]; keys(gsi.KeySchema) != "GSI1PK HASH, GSI1SK RANGE" || gsi.Projection == nil ||
			gsi.Projection.ProjectionType != ddbtypes.ProjectionTypeInclude ||
			strings.Join(gsi.Projection.NonKeyAttributes, ",") != "tenantId,nextRunAt,settings" {
			t.Errorf("GSI1: %s, %+v", keys(gsi.KeySchema), gsi.Projection)
		}
		if gsi := gsis["GSI2"]; keys(gsi.KeySchema) != "GSI2PK HASH, GSI2SK RANGE" || gsi.Projection == nil ||
			gsi.Projection.ProjectionType != ddbtypes.ProjectionTypeAll || gsi.IndexStatus != ddbtypes.IndexStatusActive {
			t.Errorf("GSI2: %s, %+v", keys(gsi.KeySchema), gsi.Projection)
		}
		if gsi := gsis["PeriodIndex"]; keys(gsi.KeySchema) != "PERIODPK HASH, PERIODSK RANGE" || gsi.Projection == nil ||
			gsi.Projection.ProjectionType != ddbtypes.ProjectionTypeAll || gsi.IndexStatus != ddbtypes.IndexStatusActive {
			t.Errorf("PeriodIndex: %s, %+v", keys(gsi.KeySchema), gsi.Projection)
		}
		for name, sk := range map[string]string{"GSI3": "searchSurname", "GSI4": "searchGiven", "GSI5": "searchEmail"} {
			if gsi := gsis[name]; keys(gsi.KeySchema) != "searchPK HASH, "+sk+" RANGE" || gsi.Projection == nil ||
				gsi.Projection.ProjectionType != ddbtypes.ProjectionTypeInclude || gsi.IndexStatus != ddbtypes.IndexStatusActive {
				t.Errorf("%s: %s, %+v", name, keys(gsi.KeySchema), gsi.Projection)
			}
		}
		ttl, err := clients.DynamoDB.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(res.Ref("Table"))})
		if err != nil {
			t.Fatal(err)
		}
		if d := ttl.TimeToLiveDescription; aws.ToString(d.AttributeName) != "purgeAt" || d.TimeToLiveStatus != ddbtypes.TimeToLiveStatusEnabled {
			t.Errorf("TTL %s %s", aws.ToString(d.AttributeName), d.TimeToLiveStatus)
		}
	})

	t.Run("bucket", func(t *testing.T) {
		bucket := res.Ref("ErrorFilesBucket")
		if !strings.HasPrefix(bucket, prefix+"errorfilesbucket-") || res.Arn("ErrorFilesBucket") != "arn:aws:s3:::"+bucket {
			t.Errorf("bucket %s, ARN %s", bucket, res.Arn("ErrorFilesBucket"))
		}
		if _, err := clients.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatal(err)
		}
		loc, err := clients.S3.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatal(err)
		}
		if loc.LocationConstraint != Region {
			t.Errorf("location %q", loc.LocationConstraint)
		}
	})

	t.Run("key", func(t *testing.T) {
		out, err := clients.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(res.Ref("KeysKey"))})
		if err != nil {
			t.Fatal(err)
		}
		md := out.KeyMetadata
		if aws.ToString(md.Arn) != res.Arn("KeysKey") || md.KeySpec != kmstypes.KeySpecSymmetricDefault || !md.Enabled {
			t.Errorf("key %s %s enabled=%v", aws.ToString(md.Arn), md.KeySpec, md.Enabled)
		}
	})

	t.Run("queues", func(t *testing.T) {
		attrs := func(id string) map[string]string {
			t.Helper()
			out, err := clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
				QueueUrl:       aws.String(res.Ref(id)),
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
			})
			if err != nil {
				t.Fatal(err)
			}
			return out.Attributes
		}
		imports := attrs("ImportsQueue")
		if res.Name("ImportsQueue") != prefix+"ImportsQueue.fifo" || imports["QueueArn"] != res.Arn("ImportsQueue") {
			t.Errorf("imports queue %s, ARN %s", res.Name("ImportsQueue"), res.Arn("ImportsQueue"))
		}
		for k, want := range map[string]string{
			"FifoQueue": "true", "ContentBasedDeduplication": "false", "DeduplicationScope": "messageGroup",
			"FifoThroughputLimit": "perMessageGroupId", "VisibilityTimeout": "5400",
			"RedrivePolicy": `{"deadLetterTargetArn": "` + res.Arn("ImportsDeadLetterQueue") + `", "maxReceiveCount": 5}`,
		} {
			if imports[k] != want {
				t.Errorf("imports queue %s = %q, want %q", k, imports[k], want)
			}
		}
		if dlq := attrs("ImportsDeadLetterQueue"); dlq["FifoQueue"] != "true" || dlq["MessageRetentionPeriod"] != "1209600" {
			t.Errorf("imports DLQ %v", dlq)
		}
		mail := attrs("MailQueue")
		if mail["FifoQueue"] != "true" || mail["VisibilityTimeout"] != "720" ||
			mail["RedrivePolicy"] != `{"deadLetterTargetArn": "`+res.Arn("MailDeadLetterQueue")+`", "maxReceiveCount": 10}` {
			t.Errorf("mail queue %v", mail)
		}
		if dlq := attrs("MailDeadLetterQueue"); dlq["FifoQueue"] != "true" {
			t.Errorf("mail DLQ %v", dlq)
		}

		// The worker's event source mapping is in the stack, but only the
		// local stack's own consumer may receive: a job sent is there for
		// it, never received before.
		_, err := clients.SQS.SendMessage(ctx, &sqs.SendMessageInput{
			QueueUrl: aws.String(res.Ref("ImportsQueue")), MessageBody: aws.String("job"),
			MessageGroupId: aws.String("t"), MessageDeduplicationId: aws.String("run"),
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := clients.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(res.Ref("ImportsQueue")),
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) != 1 || out.Messages[0].Attributes["ApproximateReceiveCount"] != "1" {
			t.Errorf("received %+v, want the job, received once", out.Messages)
		}
	})

	t.Run("same prefix again fails", func(t *testing.T) {
		if _, err := Provision(ctx, cfg, tpl, prefix); err == nil {
			t.Error("no error")
		}
	})
}

func keys(ks []ddbtypes.KeySchemaElement) string {
	var parts []string
	for _, k := range ks {
		parts = append(parts, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
	}
	return strings.Join(parts, ", ")
}

// The secrets design seals each tenant's PeopleHR key with the tenant id as
// encryption context, so a ciphertext copied to another tenant must not
// decrypt. This checks that moto enforces that as KMS does.
func TestKMSEncryptionContext(t *testing.T) {
	ctx := t.Context()
	res, _ := provision(t, loadRealTemplate(t), "kms")
	key := res.Ref("KeysKey")
	secret := []byte("peoplehr-api-key")
	enc, err := clients.KMS.Encrypt(ctx, &kms.EncryptInput{
		KeyId:             aws.String(key),
		Plaintext:         secret,
		EncryptionContext: map[string]string{"tenant": "t1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := clients.KMS.Decrypt(ctx, &kms.DecryptInput{
		CiphertextBlob:    enc.CiphertextBlob,
		EncryptionContext: map[string]string{"tenant": "t1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dec.Plaintext, secret) || aws.ToString(dec.KeyId) != res.Arn("KeysKey") {
		t.Errorf("decrypted %q with key %s", dec.Plaintext, aws.ToString(dec.KeyId))
	}
	for name, ec := range map[string]map[string]string{
		"other tenant": {"tenant": "t2"},
		"no context":   nil,
		"extra pair":   {"tenant": "t1", "x": "y"},
	} {
		_, err := clients.KMS.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
		var invalid *kmstypes.InvalidCiphertextException
		if !errors.As(err, &invalid) {
			t.Errorf("%s: decrypt error %v, want InvalidCiphertextException", name, err)
		}
	}
}

func TestFunctionEnv(t *testing.T) {
	tpl := loadRealTemplate(t)
	res, prefix := provision(t, tpl, "env")

	env, err := FunctionEnv(tpl, res, "WorkerFunction", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"LOG_LEVEL":          "INFO", // from Globals
		"TABLE_NAME":         res.Ref("Table"),
		"ERROR_FILES_BUCKET": res.Ref("ErrorFilesBucket"),
		"KEYS_KEY_ID":        res.Arn("KeysKey"),
		"PEOPLEHR_BASE_URL":  "https://api.peoplehr.net",
		"MAIL_QUEUE_URL":     res.Ref("MailQueue"),
		// The bus's name, which the template gives it.
		"EVENT_BUS_NAME": prefix + "events",
		"MEMBER_EVENTS":  "batched",
		"GOGC":           "50",
	}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("env %v, want %v", env, want)
	}
	// A Number parameter's default, as the string Lambda holds.
	mailer, err := FunctionEnv(tpl, res, "MailerFunction", nil)
	if err != nil {
		t.Fatal(err)
	}
	if mailer["SES_SEND_RATE"] != "5" || mailer["SES_CONFIGURATION_SET"] != "" || mailer["TABLE_NAME"] != res.Ref("Table") {
		t.Errorf("mailer env %v", mailer)
	}

	env, err = FunctionEnv(tpl, res, "WorkerFunction", map[string]string{
		"PEOPLEHR_BASE_URL": "http://127.0.0.1:1234",
		"EXTRA":             "x",
	})
	if err != nil {
		t.Fatal(err)
	}
	if env["PEOPLEHR_BASE_URL"] != "http://127.0.0.1:1234" || env["EXTRA"] != "x" || env["TABLE_NAME"] != res.Ref("Table") {
		t.Errorf("with overrides: %v", env)
	}

	if _, err := FunctionEnv(tpl, res, "Table", nil); err == nil {
		t.Error("env of a table: no error")
	}
}

const queueTemplate = `
Transform: AWS::Serverless-2016-10-31
Parameters:
  Visibility: {Type: Number, Default: "45"}
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: !Ref Visibility
      MessageRetentionPeriod: 345600
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt JobsDLQ.Arn
        maxReceiveCount: 1
  JobsDLQ:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 1209600
  Ordered:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
      ContentBasedDeduplication: true
  Consumer:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: bootstrap
      Runtime: provided.al2023
      Environment:
        Variables:
          JOBS_QUEUE_URL: !Ref Jobs
          JOBS_QUEUE_NAME: !GetAtt [Jobs, QueueName]
          DLQ_ARN: !Sub "${JobsDLQ.Arn}"
`

func TestProvisionQueues(t *testing.T) {
	ctx := t.Context()
	tpl, err := ParseTemplate([]byte(queueTemplate))
	if err != nil {
		t.Fatal(err)
	}
	res, prefix := provision(t, tpl, "q")

	jobs := res.Ref("Jobs")
	if name := res.Name("Jobs"); !strings.HasPrefix(name, prefix+"Jobs-") || !strings.HasSuffix(jobs, "/"+name) {
		t.Errorf("Ref(Jobs) = %s, Name(Jobs) = %s", jobs, name)
	}
	if res.Name("Ordered") != prefix+"Ordered.fifo" {
		t.Errorf("FIFO queue name %s", res.Name("Ordered"))
	}
	ordered, err := clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(res.Ref("Ordered")),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
	})
	if err != nil {
		t.Fatal(err)
	}
	if a := ordered.Attributes; a["FifoQueue"] != "true" || a["ContentBasedDeduplication"] != "true" {
		t.Errorf("FIFO queue attributes %v", a)
	}
	out, err := clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(jobs),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := out.Attributes
	if a["VisibilityTimeout"] != "45" || a["MessageRetentionPeriod"] != "345600" ||
		!strings.Contains(a["RedrivePolicy"], res.Arn("JobsDLQ")) {
		t.Errorf("attributes %v", a)
	}

	env, err := FunctionEnv(tpl, res, "Consumer", nil)
	if err != nil {
		t.Fatal(err)
	}
	if env["JOBS_QUEUE_URL"] != jobs || env["JOBS_QUEUE_NAME"] != res.Name("Jobs") || env["DLQ_ARN"] != res.Arn("JobsDLQ") {
		t.Errorf("env %v", env)
	}

	// With maxReceiveCount 1, a message received once and made visible
	// again moves to the DLQ on the next receive.
	if _, err := clients.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(jobs), MessageBody: aws.String("poison")}); err != nil {
		t.Fatal(err)
	}
	receive := func(url string) []sqstypes.Message {
		t.Helper()
		out, err := clients.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Messages
	}
	msgs := receive(jobs)
	if len(msgs) != 1 {
		t.Fatalf("first receive: %d messages", len(msgs))
	}
	_, err = clients.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl:          aws.String(jobs),
		ReceiptHandle:     msgs[0].ReceiptHandle,
		VisibilityTimeout: 0,
	})
	if err != nil {
		t.Fatal(err)
	}
	if msgs := receive(jobs); len(msgs) != 0 {
		t.Errorf("second receive: %d messages, want the message redriven", len(msgs))
	}
	if msgs := receive(res.Ref("JobsDLQ")); len(msgs) != 1 || aws.ToString(msgs[0].Body) != "poison" {
		t.Errorf("DLQ holds %v", msgs)
	}
}

func TestStopAndReset(t *testing.T) {
	ctx := t.Context()
	m, err := StartMoto(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	pid := m.cmd.Process.Pid
	if !strings.HasPrefix(m.Endpoint(), "http://127.0.0.1:") || m.Endpoint() == moto.Endpoint() {
		t.Errorf("endpoint %s (shared one %s)", m.Endpoint(), moto.Endpoint())
	}

	tpl, err := ParseTemplate([]byte(queueTemplate))
	if err != nil {
		t.Fatal(err)
	}
	mcfg := AWSConfig(m.Endpoint())
	if _, err := Provision(ctx, mcfg, tpl, "r-"); err != nil {
		t.Fatal(err)
	}
	if err := m.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := NewClients(mcfg).SQS.ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.QueueUrls) != 0 {
		t.Errorf("queues after reset: %v", list.QueueUrls)
	}
	// Reset leaves a clean server: the same names can be provisioned again.
	if _, err := Provision(ctx, mcfg, tpl, "r-"); err != nil {
		t.Fatal(err)
	}

	logPath := m.LogPath()
	if _, err := os.Stat(logPath); err != nil {
		t.Fatal(err)
	}
	m.Stop()
	m.Stop() // idempotent
	if alive(pid) {
		t.Errorf("moto_server pid %d alive after Stop", pid)
	}
	if _, err := os.Stat(logPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("log %s left behind: %v", logPath, err)
	}
}

func TestStartMotoMissingExecutable(t *testing.T) {
	t.Setenv("MOTO_PYTHON", "/nonexistent/python")
	_, err := StartMoto(t.Context())
	if err == nil || !strings.Contains(err.Error(), "MOTO_PYTHON") {
		t.Errorf("error %v", err)
	}
}

// fakeServer installs a shell script as MOTO_PYTHON.
func fakeServer(t *testing.T, script string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "moto_server")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MOTO_PYTHON", path)
}

func TestStartMotoRetriesTakenPort(t *testing.T) {
	calls := filepath.Join(t.TempDir(), "calls")
	fakeServer(t, "echo \"$@\" >> "+calls+"\necho 'Address already in use'\nexit 1\n")
	_, err := StartMoto(t.Context())
	if !errors.Is(err, errPortTaken) {
		t.Errorf("error %v, want errPortTaken", err)
	}
	data, _ := os.ReadFile(calls)
	if n := strings.Count(string(data), "-H 127.0.0.1 -p "); n != bindAttempts {
		t.Errorf("%d attempts:\n%s", n, data)
	}
}

func TestStartMotoReportsCrash(t *testing.T) {
	fakeServer(t, "echo 'ModuleNotFoundError: No module named flask' >&2\nexit 1\n")
	_, err := StartMoto(t.Context())
	if err == nil || !strings.Contains(err.Error(), "No module named flask") {
		t.Errorf("error %v, want the server's output", err)
	}
}

// The tests below pin down what moto 5.2.5 does with the DynamoDB and S3
// calls the store and the error files rely on.

func TestMotoDynamoDBBehaviour(t *testing.T) {
	ctx := t.Context()
	res, _ := provision(t, loadRealTemplate(t), "ddb")
	table := aws.String(res.Ref("Table"))
	db := clients.DynamoDB
	item := func(pk, sk string) map[string]ddbtypes.AttributeValue {
		return map[string]ddbtypes.AttributeValue{
			"PK": &ddbtypes.AttributeValueMemberS{Value: pk},
			"SK": &ddbtypes.AttributeValueMemberS{Value: sk},
		}
	}

	t.Run("conditional put", func(t *testing.T) {
		put := &dynamodb.PutItemInput{
			TableName:           table,
			Item:                item("T#a", "LEASE"),
			ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}
		if _, err := db.PutItem(ctx, put); err != nil {
			t.Fatal(err)
		}
		_, err := db.PutItem(ctx, put)
		var ccf *ddbtypes.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			t.Errorf("second put: %v, want ConditionalCheckFailedException", err)
		}
	})

	// What motoserve.py is for: conditional updates of one item at once are
	// each checked and applied atomically, so of mailers claiming one email
	// (owed -> sending) exactly one wins. A large item and a large update
	// widen the window between moto's check and its write: without the
	// lock, most rounds had more than one winner.
	t.Run("concurrent conditional updates are atomic", func(t *testing.T) {
		const rounds, takers = 10, 16
		set := []string{"#s = :sending"}
		values := map[string]ddbtypes.AttributeValue{
			":owed": &ddbtypes.AttributeValueMemberS{Value: "owed"}, ":sending": &ddbtypes.AttributeValueMemberS{Value: "sending"},
			":v": &ddbtypes.AttributeValueMemberS{Value: strings.Repeat("v", 500)},
		}
		for j := range 30 {
			set = append(set, fmt.Sprintf("a%d = :v", j))
		}
		for round := range rounds {
			k := item("T#claim", "E#"+strconv.Itoa(round))
			start := maps.Clone(k)
			start["s"] = &ddbtypes.AttributeValueMemberS{Value: "owed"}
			start["pad"] = &ddbtypes.AttributeValueMemberS{Value: strings.Repeat("x", 20000)}
			if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: start}); err != nil {
				t.Fatal(err)
			}
			var won atomic.Int64
			var wg sync.WaitGroup
			for range takers {
				wg.Go(func() {
					_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
						TableName: table, Key: k,
						UpdateExpression:          aws.String("SET " + strings.Join(set, ", ")),
						ConditionExpression:       aws.String("#s = :owed"),
						ExpressionAttributeNames:  map[string]string{"#s": "s"},
						ExpressionAttributeValues: values,
					})
					var ccf *ddbtypes.ConditionalCheckFailedException
					switch {
					case err == nil:
						won.Add(1)
					case !errors.As(err, &ccf):
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if got := won.Load(); got != 1 {
				t.Errorf("round %d: %d of %d claimed the email, want 1", round, got, takers)
			}
		}
	})

	t.Run("transaction of 100 with one failed condition", func(t *testing.T) {
		var items []ddbtypes.TransactWriteItem
		for i := range 100 {
			items = append(items, ddbtypes.TransactWriteItem{Put: &ddbtypes.Put{
				TableName:           table,
				Item:                item("T#tx", "E#"+strconv.Itoa(i)),
				ConditionExpression: aws.String("attribute_not_exists(PK)"),
			}})
		}
		// Item 42 exists already, so its condition fails.
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: item("T#tx", "E#42")}); err != nil {
			t.Fatal(err)
		}
		_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		var tce *ddbtypes.TransactionCanceledException
		if !errors.As(err, &tce) {
			t.Fatalf("error %v, want TransactionCanceledException", err)
		}
		if len(tce.CancellationReasons) != 100 {
			t.Fatalf("%d cancellation reasons", len(tce.CancellationReasons))
		}
		for i, r := range tce.CancellationReasons {
			want := "None"
			if i == 42 {
				want = "ConditionalCheckFailed"
			}
			if aws.ToString(r.Code) != want {
				t.Errorf("reason %d: %s, want %s", i, aws.ToString(r.Code), want)
			}
		}
		// Nothing of a cancelled transaction is written.
		out, err := db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 table,
			KeyConditionExpression:    aws.String("PK = :pk"),
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":pk": &ddbtypes.AttributeValueMemberS{Value: "T#tx"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if out.Count != 1 {
			t.Errorf("%d items after the cancelled transaction, want 1", out.Count)
		}

		delete(items[42].Put.Item, "SK")
		items[42].Put.Item["SK"] = &ddbtypes.AttributeValueMemberS{Value: "E#100"}
		if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
			t.Errorf("transaction of 100 without conflict: %v", err)
		}
		extra := ddbtypes.TransactWriteItem{Put: &ddbtypes.Put{TableName: table, Item: item("T#tx", "E#101")}}
		_, err = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: append(items, extra)})
		if err == nil || !strings.Contains(err.Error(), "100") {
			t.Errorf("transaction of 101 items: %v, want a refusal naming the limit", err)
		}
	})

	t.Run("batch write of 25", func(t *testing.T) {
		var reqs []ddbtypes.WriteRequest
		for i := range 25 {
			reqs = append(reqs, ddbtypes.WriteRequest{PutRequest: &ddbtypes.PutRequest{Item: item("T#batch", "E#"+strconv.Itoa(i))}})
		}
		out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddbtypes.WriteRequest{*table: reqs}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.UnprocessedItems) != 0 {
			t.Errorf("unprocessed %v", out.UnprocessedItems)
		}
		reqs = append(reqs, ddbtypes.WriteRequest{PutRequest: &ddbtypes.PutRequest{Item: item("T#batch", "E#25")}})
		// DynamoDB refuses more than 25 requests; moto 5.2.5 takes them, so
		// only the store's own code and unit tests can keep batches legal.
		if _, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddbtypes.WriteRequest{*table: reqs}}); err == nil {
			t.Log("moto accepts a BatchWriteItem of 26 requests (DynamoDB would not)")
		}
	})

	t.Run("query GSI", func(t *testing.T) {
		for i, due := range []string{"2026-01-03", "2026-01-01", "2026-01-02"} {
			it := item("T#g"+strconv.Itoa(i), "INTEGRATION")
			it["GSI1PK"] = &ddbtypes.AttributeValueMemberS{Value: "DUE#0"}
			it["GSI1SK"] = &ddbtypes.AttributeValueMemberS{Value: due}
			it["other"] = &ddbtypes.AttributeValueMemberS{Value: "not projected"}
			if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: it}); err != nil {
				t.Fatal(err)
			}
		}
		out, err := db.Query(ctx, &dynamodb.QueryInput{
			TableName:              table,
			IndexName:              aws.String("GSI1"),
			KeyConditionExpression: aws.String("GSI1PK = :b AND GSI1SK <= :now"),
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
				":b":   &ddbtypes.AttributeValueMemberS{Value: "DUE#0"},
				":now": &ddbtypes.AttributeValueMemberS{Value: "2026-01-02"},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range out.Items {
			got = append(got, it["PK"].(*ddbtypes.AttributeValueMemberS).Value)
			if _, ok := it["other"]; ok {
				t.Error("KEYS_ONLY index returned a non-key attribute")
			}
		}
		if strings.Join(got, ",") != "T#g1,T#g2" {
			t.Errorf("due integrations %v, want T#g1,T#g2 in GSI1SK order", got)
		}
	})
}

func TestMotoS3PresignedGet(t *testing.T) {
	ctx := t.Context()
	res, _ := provision(t, loadRealTemplate(t), "s3")
	bucket := aws.String(res.Ref("ErrorFilesBucket"))
	body := "row,error\n1,missing email\n"
	_, err := clients.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:      bucket,
		Key:         aws.String("errors/run 1.csv"),
		Body:        strings.NewReader(body),
		ContentType: aws.String("text/csv"),
	})
	if err != nil {
		t.Fatal(err)
	}
	req, err := s3.NewPresignClient(clients.S3).PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: bucket,
		Key:    aws.String("errors/run 1.csv"),
	}, s3.WithPresignExpires(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(req.URL, moto.Endpoint()+"/"+*bucket+"/") {
		t.Errorf("URL %s is not path-style on the emulator", req.URL)
	}
	resp, err := http.Get(req.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || string(got) != body {
		t.Errorf("GET presigned URL: %s %q", resp.Status, got)
	}
}
