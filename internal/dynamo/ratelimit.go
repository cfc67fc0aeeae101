package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/ratelimit"
)

// rateLimitPK is the partition of a tenant's rate-limit buckets, one item
// per class of request (SK the limit's name), apart from the integration
// and its lease so nothing that reads those ever meets a bucket.
func rateLimitPK(tenant string) string { return "T#" + tenant + "#RATE" }

// takeAttempts bounds the read-and-write rounds of one TakeToken: each
// lost round means another request of the same tenant took a token in
// between, so a tenant that loses them all is sending many at once.
const takeAttempts = 3

// TakeToken takes a token from the tenant's bucket for l: 0 when there was
// one, else how long until there is. The bucket is read strongly
// consistently and written back on condition that nobody wrote it since
// (its time and tokens unchanged), so concurrent Lambdas never both spend
// the same token. A tenant that keeps losing that race is told to wait
// for the next token.
func (s *Store) TakeToken(ctx context.Context, tenant string, l ratelimit.Limit) (time.Duration, error) {
	pk := rateLimitPK(tenant)
	for range takeAttempts {
		b, found := ratelimit.Bucket{}, true
		item, err := s.get(ctx, pk, l.Name)
		switch {
		case errors.Is(err, integration.ErrNotFound):
			found = false
		case err != nil:
			return 0, fmt.Errorf("read rate limit %s: %w", l.Name, err)
		default:
			if b, err = bucketOf(item); err != nil {
				return 0, fmt.Errorf("read rate limit %s: %w", l.Name, err)
			}
		}
		next, wait := l.Take(b, found, s.now())
		if wait > 0 {
			return wait, nil
		}
		in := &dynamodb.PutItemInput{TableName: &s.table, Item: key(pk, l.Name)}
		in.Item["milliTokens"], in.Item["at"] = num(next.MilliTokens), num(next.At.UnixMilli())
		// An idle bucket is full again within a minute: TTL removes it.
		in.Item["purgeAt"] = num(next.At.Add(24 * time.Hour).Unix())
		if found {
			in.ConditionExpression = aws.String("milliTokens = :tokens AND #at = :at")
			in.ExpressionAttributeNames = map[string]string{"#at": "at"}
			in.ExpressionAttributeValues = map[string]types.AttributeValue{":tokens": num(b.MilliTokens), ":at": num(b.At.UnixMilli())}
		} else {
			in.ConditionExpression = aws.String("attribute_not_exists(PK)")
		}
		_, err = s.db.PutItem(ctx, in)
		if conditionFailed(err) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("take rate limit token %s: %w", l.Name, err)
		}
		return 0, nil
	}
	return time.Second / time.Duration(l.Rate), nil
}

func bucketOf(item map[string]types.AttributeValue) (ratelimit.Bucket, error) {
	tokens, err := intAttr(item, "milliTokens")
	if err != nil {
		return ratelimit.Bucket{}, err
	}
	at, err := intAttr(item, "at")
	if err != nil {
		return ratelimit.Bucket{}, err
	}
	return ratelimit.Bucket{MilliTokens: tokens, At: time.UnixMilli(at)}, nil
}
