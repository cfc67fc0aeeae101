package dynamo

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/integration"
)

// API is the part of the DynamoDB client the store calls. It is the seam
// where tests inject faults the emulator cannot produce (UnprocessedItems,
// throttling).
type API interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// Store reads and writes one table.
type Store struct {
	db          API
	table       string
	concurrency int
	maxAttempts int
	backoff     time.Duration
	now         func() time.Time
}

// Option changes a Store's defaults.
type Option func(*Store)

// DefaultConcurrency is how many writes a store keeps in flight unless
// WithConcurrency says otherwise.
const DefaultConcurrency = 4

// WithConcurrency bounds the writes in flight while applying a plan. One
// tenant's members share a partition (about 1,000 writes/s): a few writers
// fill it, more only throttle.
func WithConcurrency(n int) Option { return func(s *Store) { s.concurrency = max(1, n) } }

// WithClock replaces the wall clock, for tests.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithRetry sets how often and how patiently the store retries what
// DynamoDB left unprocessed or cancelled for contention.
func WithRetry(attempts int, base time.Duration) Option {
	return func(s *Store) { s.maxAttempts, s.backoff = max(1, attempts), base }
}

// New builds a store on table.
func New(db API, table string, opts ...Option) *Store {
	s := &Store{db: db, table: table, concurrency: DefaultConcurrency, maxAttempts: 8, backoff: 50 * time.Millisecond, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"PK": str(pk), "SK": str(sk)}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(n)}
}

// marshal uses json tags: those of the adapter's own item types, which
// name every stored attribute (codec.go).
func marshal(v any) (map[string]types.AttributeValue, error) {
	return attributevalue.MarshalMapWithOptions(v, func(o *attributevalue.EncoderOptions) { o.TagKey = "json" })
}

func unmarshal(item map[string]types.AttributeValue, v any) error {
	return attributevalue.UnmarshalMapWithOptions(item, v, func(o *attributevalue.DecoderOptions) { o.TagKey = "json" })
}

func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// sameWrite reports whether the item a failed condition found is, in
// every attribute, the one being written: the write was the retry of one
// that landed (its answer lost), or another writer's that wrote the very
// same item. Either way nothing is lost by taking it as done.
func sameWrite(found, wrote map[string]types.AttributeValue) bool {
	return found != nil && reflect.DeepEqual(found, wrote)
}

// failedItem is the item a failed condition found, when the write asked
// for it (ReturnValuesOnConditionCheckFailure); nil otherwise.
func failedItem(err error) map[string]types.AttributeValue {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ccf.Item
	}
	return nil
}

// sleep waits out attempt's jittered backoff, or the context.
func (s *Store) sleep(ctx context.Context, attempt int) error {
	d := s.backoff << min(attempt, 8)
	d = time.Duration(rand.Int64N(int64(d) + 1))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// get reads one item strongly consistently: a resumed run must see what the
// crashed one wrote.
func (s *Store) get(ctx context.Context, pk, sk string) (map[string]types.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	if out.Item == nil {
		return nil, integration.ErrNotFound
	}
	return out.Item, nil
}

// queryAll pages through a partition, calling fn per item.
func (s *Store) queryAll(ctx context.Context, pk string, fn func(map[string]types.AttributeValue) error) error {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
		ConsistentRead:            aws.Bool(true),
	}
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, item := range page.Items {
			if err := fn(item); err != nil {
				return err
			}
		}
	}
	return nil
}

// page reads one page of a partition (newest first unless forward), with
// an optional filter on status, and returns the cursor of the next page.
// The cursor carries only the sort key, which must have the partition's
// prefix: the partition is always the caller's tenant's.
func (s *Store) page(ctx context.Context, pk, skPrefix, status, cursor string, limit int, forward bool, fn func(map[string]types.AttributeValue) error) (string, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
		ScanIndexForward:          aws.Bool(forward),
		Limit:                     aws.Int32(int32(limit)),
	}
	if status != "" {
		in.FilterExpression = aws.String("#status = :status")
		in.ExpressionAttributeNames = map[string]string{"#status": "status"}
		in.ExpressionAttributeValues[":status"] = str(status)
	}
	if cursor != "" {
		sk, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || len(sk) > 200 || !utf8.Valid(sk) || !strings.HasPrefix(string(sk), skPrefix) || len(sk) == len(skPrefix) {
			return "", integration.ErrBadCursor
		}
		in.ExclusiveStartKey = key(pk, string(sk))
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return "", err
	}
	for _, item := range out.Items {
		if err := fn(item); err != nil {
			return "", err
		}
	}
	if sk, ok := out.LastEvaluatedKey["SK"].(*types.AttributeValueMemberS); ok {
		return base64.RawURLEncoding.EncodeToString([]byte(sk.Value)), nil
	}
	return "", nil
}
