package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// maxTransactItems is DynamoDB's limit of items in one TransactWriteItems.
const maxTransactItems = 100

// unit is one change as the items it writes, all or nothing.
type unit struct {
	change *engine.Change
	items  []types.TransactWriteItem
}

// Apply writes a plan's changes. Addresses leave their old owners before new
// owners claim them: first the old addresses of members whose email changes
// are released, then changes that claim nothing, then those that claim an
// address. Each change is atomic (member and address items in one
// transaction); several are packed per transaction, and a pack that fails is
// retried change by change so one conflict costs only itself.
// Each member written records runID as its last run. Each change done,
// applied or a conflict, adds one to done (if not nil), which the caller
// reads as it likes: the writers only count.
func (s *Store) Apply(ctx context.Context, tenant, runID string, changes []engine.Change, done *atomic.Int64) ([]engine.Conflict, error) {
	return s.apply(ctx, tenant, runID, changes, done, false)
}

// ApplyLeased writes a plan as Apply does, as lease's run, for a caller that
// holds the lease and planned just now from a strongly consistent read of
// the members taken under it: the worker's own runs (an approval applies a
// plan that may be days old: it uses Apply). Its creates are not
// transactions: the email owner items of up to 25 new members go in one
// BatchWriteItem, then their member items in another. A lease that is no
// longer its holder's is integration.ErrLeaseLost, before anything is
// written.
//
// What the transaction's conditions guarded is guarded by the lease and the
// plan instead. A create is planned only for an employee id with no member,
// and the plan settled every address against every stored member; while the
// lease is held nothing else writes the tenant's members (the worker stops
// writing once it cannot prove its lease, well before it expires). A crash
// between the two writes leaves owners without members, never a member
// without its owner: the redelivered run plans the create again and
// rewrites the same items. So a replay never doubles a member or its welcome.
//
// On DynamoDB a transaction costs twice the write units of the items it
// writes, so this halves the cost of a first import; on moto, whose
// transactions copy the whole table for every item they write, it is what
// makes a 10,000-employee import finish at all (BENCHMARKS.md).
func (s *Store) ApplyLeased(ctx context.Context, lease integration.Lease, changes []engine.Change, done *atomic.Int64) ([]engine.Conflict, error) {
	if err := s.holds(ctx, lease); err != nil {
		return nil, fmt.Errorf("apply changes: %w", err)
	}
	return s.apply(ctx, lease.TenantID, lease.RunID, changes, done, true)
}

func (s *Store) apply(ctx context.Context, tenant, runID string, changes []engine.Change, done *atomic.Int64, leased bool) ([]engine.Conflict, error) {
	now := s.now().UTC()
	if done == nil {
		done = new(atomic.Int64)
	}
	a := &applier{s: s, tenant: tenant, runID: runID, done: done}
	var moving, creates []*engine.Change
	var free, claiming []unit
	for i := range changes {
		c := &changes[i]
		if c.ReleasedEmail() != "" && c.ClaimedEmail() != "" {
			moving = append(moving, c)
		}
		if leased && c.Kind == engine.KindCreate && c.Before == nil && c.ClaimedEmail() != "" {
			creates = append(creates, c) // its items are built batch by batch
			continue
		}
		u := s.unitFor(tenant, runID, c, now)
		if c.ClaimedEmail() == "" {
			free = append(free, u)
		} else {
			claiming = append(claiming, u)
		}
	}
	if err := s.parallel(ctx, len(moving), func(ctx context.Context, i int) error {
		return s.release(ctx, tenant, moving[i])
	}); err != nil {
		return nil, fmt.Errorf("release moved addresses: %w", err)
	}
	for _, wave := range [][]unit{free, claiming} {
		if err := a.run(ctx, wave); err != nil {
			return a.conflicts, fmt.Errorf("apply changes: %w", err)
		}
	}
	if err := a.creates(ctx, creates, now); err != nil {
		return a.conflicts, fmt.Errorf("create members: %w", err)
	}
	return a.conflicts, nil
}

// creates writes new members of a leased plan, 25 at a time: their email
// owners first, then the members (see ApplyLeased).
func (a *applier) creates(ctx context.Context, cs []*engine.Change, now time.Time) error {
	batches := (len(cs) + maxBatchItems - 1) / maxBatchItems
	return a.s.parallel(ctx, batches, func(ctx context.Context, i int) error {
		batch := cs[i*maxBatchItems : min((i+1)*maxBatchItems, len(cs))]
		owners := make([]types.WriteRequest, len(batch))
		members := make([]types.WriteRequest, len(batch))
		for j, c := range batch {
			owner := emailKey(a.tenant, c.ClaimedEmail())
			owner["owner"] = str(c.EmployeeID())
			owners[j] = types.WriteRequest{PutRequest: &types.PutRequest{Item: owner}}
			members[j] = types.WriteRequest{PutRequest: &types.PutRequest{Item: memberItem(a.tenant, a.runID, &c.After, now)}}
		}
		if err := a.s.batchWrite(ctx, owners); err != nil {
			return fmt.Errorf("claim addresses: %w", err)
		}
		for _, m := range members {
			stampItem(m.PutRequest.Item, a.s.now())
		}
		if err := a.s.batchWrite(ctx, members); err != nil {
			return fmt.Errorf("write members: %w", err)
		}
		a.record(len(batch), nil)
		return nil
	})
}

func (s *Store) unitFor(tenant, runID string, c *engine.Change, now time.Time) unit {
	u := unit{change: c}
	id := c.EmployeeID()
	if c.Kind == engine.KindRelink {
		return s.relinkUnit(tenant, runID, c, now)
	}
	if c.Before == nil {
		u.items = append(u.items, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: memberItem(tenant, runID, &c.After, now),
			ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}})
	} else {
		u.items = append(u.items, types.TransactWriteItem{Update: s.memberUpdate(tenant, runID, c, now)})
	}
	owner := ownerCondition(id)
	if old := c.ReleasedEmail(); old != "" && c.ClaimedEmail() == "" {
		u.items = append(u.items, types.TransactWriteItem{Delete: &types.Delete{
			TableName: &s.table, Key: emailKey(tenant, old), ConditionExpression: owner.expr,
			ExpressionAttributeNames: owner.names, ExpressionAttributeValues: owner.values,
		}})
	}
	if email := c.ClaimedEmail(); email != "" {
		item := emailKey(tenant, email)
		item["owner"] = str(id)
		u.items = append(u.items, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: item, ConditionExpression: owner.expr,
			ExpressionAttributeNames: owner.names, ExpressionAttributeValues: owner.values,
		}})
	}
	return u
}

// relinkUnit moves a member to its new employee id in one transaction:
// the old item goes (if still the planned version), the new one comes with
// the member's state and creation time, and the email's owner follows.
func (s *Store) relinkUnit(tenant, runID string, c *engine.Change, now time.Time) unit {
	old := c.Before
	item := memberItem(tenant, runID, &c.After, now)
	item["createdAt"], item["lastChange"] = str(formatTime(old.CreatedAt)), str(string(engine.KindRelink))
	item["version"] = num(old.Version + 1)
	owner := key("T#"+tenant+"#EMAIL#"+c.After.Email(), "EMAIL")
	owner["owner"] = str(c.EmployeeID())
	from := ownerCondition(old.EmployeeID())
	return unit{change: c, items: []types.TransactWriteItem{
		{Delete: &types.Delete{
			TableName: &s.table, Key: key(memberPK(tenant), memberSK(old.EmployeeID())),
			ConditionExpression:       aws.String("version = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(old.Version)},
		}},
		{Put: &types.Put{TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{
			TableName: &s.table, Item: owner, ConditionExpression: from.expr,
			ExpressionAttributeNames: from.names, ExpressionAttributeValues: from.values,
		}},
	}}
}

type condition struct {
	expr   *string
	names  map[string]string
	values map[string]types.AttributeValue
}

// ownerCondition lets a member take or drop an address that is free or
// already its own, so a replay succeeds and a theft fails.
func ownerCondition(id string) condition {
	return condition{
		expr:   aws.String("attribute_not_exists(PK) OR #owner = :me"),
		names:  map[string]string{"#owner": "owner"},
		values: map[string]types.AttributeValue{":me": str(id)},
	}
}

func (s *Store) release(ctx context.Context, tenant string, c *engine.Change) error {
	owner := ownerCondition(c.EmployeeID())
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.table, Key: emailKey(tenant, c.ReleasedEmail()), ConditionExpression: owner.expr,
		ExpressionAttributeNames: owner.names, ExpressionAttributeValues: owner.values,
	})
	if conditionFailed(err) {
		return nil // someone else's: nothing of ours to release
	}
	return err
}

// parallel runs fn for 0..n-1 on at most s.concurrency goroutines.
func (s *Store) parallel(ctx context.Context, n int, fn func(context.Context, int) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(s.concurrency)
	for i := range n {
		g.Go(func() error { return fn(ctx, i) })
	}
	return g.Wait()
}

type applier struct {
	s         *Store
	tenant    string
	runID     string
	done      *atomic.Int64
	mu        sync.Mutex // guards conflicts
	conflicts []engine.Conflict
}

// run writes one wave: single-item changes as plain writes (a transaction
// would cost twice the write units), the rest packed into transactions.
func (a *applier) run(ctx context.Context, wave []unit) error {
	var batches [][]unit
	var pack []unit
	size := 0
	for _, u := range wave {
		if len(u.items) == 1 {
			batches = append(batches, []unit{u})
			continue
		}
		if size+len(u.items) > maxTransactItems {
			batches, pack, size = append(batches, pack), nil, 0
		}
		pack, size = append(pack, u), size+len(u.items)
	}
	if len(pack) > 0 {
		batches = append(batches, pack)
	}
	return a.s.parallel(ctx, len(batches), func(ctx context.Context, i int) error {
		return a.batch(ctx, batches[i])
	})
}

func (a *applier) batch(ctx context.Context, units []unit) error {
	if len(units) > 1 {
		err := a.s.transact(ctx, units)
		if err == nil {
			a.record(len(units), nil)
			return nil
		}
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) {
			return err
		}
		// One change in the pack is stale: find it by applying each alone.
	}
	for _, u := range units {
		if err := a.single(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

// single applies one change, retrying contention with backoff; a failed
// condition is a conflict, not an error.
func (a *applier) single(ctx context.Context, u unit) error {
	freed := false
	for attempt := 0; ; attempt++ {
		err := a.s.write(ctx, u)
		switch {
		case err == nil:
			a.record(1, nil)
			return nil
		case isConditionFailure(err):
			if a.appliedByThisRun(ctx, u.change) {
				a.record(1, nil) // a replay of this run's own write
				return nil
			}
			if !freed && a.s.freeStaleOwner(ctx, a.tenant, u.change) {
				freed = true
				continue // the address was nobody's after all: claim it again
			}
			a.record(1, &engine.Conflict{Change: u.change, Reason: "the member or its email address changed while this run applied it: the next run will try again"})
			return nil
		case !retryable(err) || attempt+1 >= a.s.maxAttempts:
			return fmt.Errorf("write member %s: %w", u.change.EmployeeID(), err)
		}
		if err := a.s.sleep(ctx, attempt); err != nil {
			return err
		}
	}
}

// freeStaleOwner frees the address a change claims when its owner item
// names an employee whose member does not hold it: what a run that died
// between a batch's owners and its members leaves when the feed then
// changed, so the create was never planned again (ApplyLeased). Such an
// owner would otherwise refuse every later claim of the address. The
// delete is conditional on that same owner; it reports whether it freed
// the address.
func (s *Store) freeStaleOwner(ctx context.Context, tenant string, c *engine.Change) bool {
	email := c.ClaimedEmail()
	if email == "" {
		return false
	}
	item, err := s.get(ctx, "T#"+tenant+"#EMAIL#"+email, "EMAIL")
	if err != nil {
		return false
	}
	owner, _ := item["owner"].(*types.AttributeValueMemberS)
	if owner == nil || owner.Value == c.EmployeeID() {
		return false
	}
	m, err := s.GetMember(ctx, tenant, owner.Value)
	switch {
	case errors.Is(err, integration.ErrNotFound):
	case err != nil:
		return false
	case m.Status != engine.StatusLeaver && m.Email() == email:
		return false // its owner holds it: a real conflict
	}
	_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.table, Key: emailKey(tenant, email), ConditionExpression: aws.String("#owner = :them"),
		ExpressionAttributeNames:  map[string]string{"#owner": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":them": str(owner.Value)},
	})
	return err == nil
}

// appliedByThisRun tells a replay from a conflict: the member's last write
// was this run's.
func (a *applier) appliedByThisRun(ctx context.Context, c *engine.Change) bool {
	m, err := a.s.GetMember(ctx, a.tenant, c.EmployeeID())
	return err == nil && m.LastRunID == a.runID && a.runID != ""
}

func (a *applier) record(n int, c *engine.Conflict) {
	a.done.Add(int64(n))
	if c != nil {
		a.mu.Lock()
		a.conflicts = append(a.conflicts, *c)
		a.mu.Unlock()
	}
}

func (s *Store) write(ctx context.Context, u unit) error {
	if len(u.items) > 1 {
		return s.transact(ctx, []unit{u})
	}
	stampChanges(u.items, s.now())
	var err error
	switch it := u.items[0]; {
	case it.Put != nil:
		_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: it.Put.TableName, Item: it.Put.Item, ConditionExpression: it.Put.ConditionExpression,
		})
	default:
		up := it.Update
		_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: up.TableName, Key: up.Key, UpdateExpression: up.UpdateExpression,
			ConditionExpression: up.ConditionExpression, ExpressionAttributeNames: up.ExpressionAttributeNames,
			ExpressionAttributeValues: up.ExpressionAttributeValues,
		})
	}
	return err
}

func (s *Store) transact(ctx context.Context, units []unit) error {
	var items []types.TransactWriteItem
	for _, u := range units {
		items = append(items, u.items...)
	}
	stampChanges(items, s.now())
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	return err
}

func isConditionFailure(err error) bool {
	if conditionFailed(err) {
		return true
	}
	return cancelledFor(err, "ConditionalCheckFailed")
}

// retryable covers contention the SDK's own retryer does not retry: a
// transaction cancelled because another one touched the same items, or
// throttled inside the transaction.
func retryable(err error) bool {
	return cancelledFor(err, "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded")
}

func cancelledFor(err error, codes ...string) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return false
	}
	for _, r := range tce.CancellationReasons {
		for _, c := range codes {
			if aws.ToString(r.Code) == c {
				return true
			}
		}
	}
	return false
}
