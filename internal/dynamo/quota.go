package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// quotaTTL keeps a day's counter a day past its day, then TTL removes it.
const quotaTTL = 48 * time.Hour

// TakeMailQuota counts one email of kind against the tenant's allowance for
// day (YYYY-MM-DD): one counter item per tenant, kind and day, incremented
// only while below limit, so concurrent mailers never pass it together.
// false means the day's allowance is spent.
func (s *Store) TakeMailQuota(ctx context.Context, tenant, kind, day string, limit int) (bool, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      key(mailPK(tenant), "QUOTA#"+day+"#"+kind),
		UpdateExpression:         aws.String("ADD #sent :one SET purgeAt = if_not_exists(purgeAt, :purge)"),
		ConditionExpression:      aws.String("attribute_not_exists(#sent) OR #sent < :limit"),
		ExpressionAttributeNames: map[string]string{"#sent": "sent"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": num(1), ":limit": num(int64(limit)), ":purge": num(s.now().Add(quotaTTL).Unix()),
		},
	})
	if conditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("count %s email against the daily quota: %w", kind, err)
	}
	return true, nil
}
