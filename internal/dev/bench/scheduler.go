package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/dev/devstack"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/wiring"
)

// Schedule is one scheduler tick with many tenants due.
type Schedule struct {
	Tenants, Queued, Advanced int
	SQS                       Counts
	DB                        Counts
	Seconds                   float64
}

// RunScheduler stores n published hourly integrations all due at 09:00
// and ticks the scheduler once at 09:16, as EventBridge would.
func (e *Env) RunScheduler(ctx context.Context, n int) (*Schedule, error) {
	slot := Today
	clock := slot.Add(-time.Hour)
	purging := &Purging{Client: devstack.NewClients(devstack.AWSConfig(e.Moto.Endpoint())).SQS}
	sqsCount, dbCount := &SQS{API: purging}, &DB{}
	st, err := stack.Start(ctx, stack.Options{
		Moto: e.Moto, SES: e.SES, Prefix: "bench-sched-", Now: func() time.Time { return clock },
		WrapClients: func(c *wiring.Clients) {
			dbCount.API = c.DynamoDB
			c.SQS, c.DynamoDB = sqsCount, dbCount
		},
	})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	settings := integration.DefaultSettings()
	settings.Frequency = "hourly"
	first := stack.Tenant{
		ID: "t00000", ProgrammeName: "Perks", AdminEmail: "admin@t.example", APIKey: "0f8fad5b-d9cb-469f-a165-70867728950e",
		Settings: settings, Mapping: engine.DefaultMapping(), FirstRunAt: slot,
	}
	if err := st.SeedTenant(ctx, first); err != nil {
		return nil, err
	}
	// The others are copies of the first's item with their own keys: n
	// conditional puts would take moto longer than the tick.
	db := devstack.NewClients(devstack.AWSConfig(e.Moto.Endpoint())).DynamoDB
	table := st.WorkerEnv["TABLE_NAME"]
	got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]dbtypes.AttributeValue{
		"PK": &dbtypes.AttributeValueMemberS{Value: "T#" + first.ID}, "SK": &dbtypes.AttributeValueMemberS{Value: "INTEGRATION"},
	}})
	if err != nil || got.Item == nil {
		return nil, fmt.Errorf("read the seeded integration: %v", err)
	}
	items := make([]map[string]dbtypes.AttributeValue, 0, n-1)
	for i := 1; i < n; i++ {
		id := fmt.Sprintf("t%05d", i)
		item := make(map[string]dbtypes.AttributeValue, len(got.Item))
		for k, v := range got.Item {
			item[k] = v
		}
		item["PK"], item["tenantId"] = &dbtypes.AttributeValueMemberS{Value: "T#" + id}, &dbtypes.AttributeValueMemberS{Value: id}
		item["GSI1PK"] = &dbtypes.AttributeValueMemberS{Value: dueBucket(id)}
		items = append(items, item)
	}
	if err := WriteItems(ctx, db, table, items, 2); err != nil {
		return nil, err
	}
	sqsCount.Take()
	dbCount.Take()
	clock = slot.Add(16 * time.Minute) // past every tenant's spread
	start := time.Now()
	res, err := st.Scheduler.Tick(ctx)
	// Wall time, the purges included: the tick sends from four goroutines.
	out := &Schedule{Tenants: n, Queued: res.Queued, Advanced: res.Advanced, Seconds: time.Since(start).Seconds(), SQS: sqsCount.Take(), DB: dbCount.Take()}
	e.progress("%-22s %6d tenants:   %7.2f s, %d SendMessageBatch calls", "scheduler tick", n, out.Seconds, out.SQS.Calls["SendMessageBatch"])
	return out, err
}

// dueBucket is the store's shard of the due index for tenant, so the
// copies spread as real tenants do.
func dueBucket(tenant string) string {
	return fmt.Sprintf("DUE#%02d", integration.DueBucket(tenant))
}
