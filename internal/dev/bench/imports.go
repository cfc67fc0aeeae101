package bench

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/dev/devstack"
	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// Env is what the scenarios share: the emulators and this executable.
type Env struct {
	Moto *devstack.Moto
	SES  *devstack.SES
	Self string
	// Progress receives a line as each step ends.
	Progress func(format string, args ...any)
}

func (e *Env) progress(format string, args ...any) {
	if e.Progress != nil {
		e.Progress(format, args...)
	}
}

// TenantID is the bench's tenant.
const TenantID = "bench"

// Imports is one tenant size's three runs and their floors.
type Imports struct {
	N int
	// Initial is the first import; FloorMembers writes the member items it
	// wrote, FloorItems every item it wrote (members, email owners, logs),
	// each with plain BatchWriteItem into an empty table of the same shape
	// with the worker's write concurrency.
	Initial                  RunResult
	FloorMembers, FloorItems Floor
	// NoChange runs the same feed again, twice, after the mailer sent
	// every welcome; its floor is fetching the feed plus reading the
	// members once.
	NoChange               RunResult
	NoChangeRuns           []float64 // each run's seconds; NoChange has their mean
	FloorFetch, FloorRead  time.Duration
	MembersRead, FeedBytes int
	// Changed runs a feed with 1% of the employees changed (Mix).
	Changed RunResult
	Mix     Mix
}

// Floor is a floor write: how many items, how long.
type Floor struct {
	Items   int
	Seconds float64
}

// RunImports starts a stack with n generated employees and measures the
// first import, a no-change resync and, if changed, a 1% changed resync.
func (e *Env) RunImports(ctx context.Context, n int, changed bool) (*Imports, error) {
	out := &Imports{N: n}
	clock := Today
	employees := Employees(n)
	st, err := e.benchStack(ctx, "", n, employees, func() time.Time { return clock })
	if err != nil {
		return nil, err
	}
	defer st.Close()
	db := devstack.NewClients(devstack.AWSConfig(e.Moto.Endpoint())).DynamoDB
	table := st.WorkerEnv["TABLE_NAME"]
	floorMembers, err := cloneTable(ctx, db, table, fmt.Sprintf("bench%d-floor-members", n))
	if err != nil {
		return nil, err
	}
	floorItems, err := cloneTable(ctx, db, table, fmt.Sprintf("bench%d-floor-items", n))
	if err != nil {
		return nil, err
	}

	run := func(what string, req RunRequest) (RunResult, error) {
		req.Endpoint, req.Env, req.MemoryMB, req.Now = e.Moto.Endpoint(), st.WorkerEnv, st.WorkerMemoryMB, clock
		req.Job = integration.Job{TenantID: TenantID, RunID: integration.NewRunID(clock), Trigger: integration.TriggerManual}
		var res RunResult
		if err := CallChild(ctx, e.Self, "run", req, &res); err != nil {
			return res, err
		}
		if res.Error != "" || !res.Finished || res.Status == integration.StatusFailed {
			return res, fmt.Errorf("%s of %d: %s %s %s", what, n, res.Status, res.Error, res.Failure)
		}
		e.progress("%-22s %6d employees: %7.2f s, peak RSS %5.1f MB", what, n, res.Seconds, MB(res.Memory.PeakRSS))
		return res, nil
	}

	if out.Initial, err = run("initial import", RunRequest{
		FloorMembersTable: floorMembers, FloorItemsTable: floorItems, MarkWelcomesSent: true,
	}); err != nil {
		return nil, err
	}
	out.FloorMembers, out.FloorItems = out.Initial.FloorMembers, out.Initial.FloorItems

	// The resync and its floor (fetch the feed, read the members once),
	// taken in turns, twice each, and averaged: moto's reads vary with
	// what else the machine runs.
	var runs []float64
	for range 2 {
		start := time.Now()
		var feed countWriter
		if _, err := Fetch(ctx, st.Sandbox.URL(), peoplehrtest.DefaultAPIKey, &feed); err != nil {
			return nil, err
		}
		out.FloorFetch, out.FeedBytes = out.FloorFetch+time.Since(start)/2, int(feed)
		start = time.Now()
		if out.MembersRead, err = readPartition(ctx, db, table, "T#"+TenantID+"#M"); err != nil {
			return nil, err
		}
		out.FloorRead += time.Since(start) / 2
		clock = clock.Add(time.Hour)
		res, err := run("no-change resync", RunRequest{})
		if err != nil {
			return nil, err
		}
		runs = append(runs, res.Seconds)
		// Both runs' writes and read times count.
		res.DB.Writes[KindMember] += out.NoChange.DB.Writes[KindMember]
		if res.DB.Millis != nil {
			res.DB.Millis["Query"] += out.NoChange.DB.Millis["Query"]
		}
		out.NoChange = res
	}
	out.NoChange.Seconds, out.NoChangeRuns = (runs[0]+runs[1])/2, runs
	if !changed {
		return out, nil
	}

	clock = clock.Add(time.Hour)
	feed, mix := ChangeOnePercent(employees)
	st.Sandbox.SetEmployees(feed)
	out.Mix = mix
	if out.Changed, err = run("1% changed resync", RunRequest{}); err != nil {
		return nil, err
	}
	return out, nil
}

type countWriter int

func (w *countWriter) Write(p []byte) (int, error) { *w += countWriter(len(p)); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)

// readPartition pages through a partition as the store reads members
// (strongly consistent) and returns how many items it holds.
func readPartition(ctx context.Context, db *dynamodb.Client, table, pk string) (int, error) {
	p := dynamodb.NewQueryPaginator(db, &dynamodb.QueryInput{
		TableName: &table, KeyConditionExpression: aws.String("PK = :pk"), ConsistentRead: aws.Bool(true),
		ExpressionAttributeValues: map[string]dbtypes.AttributeValue{":pk": &dbtypes.AttributeValueMemberS{Value: pk}},
	})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, err
		}
		n += len(page.Items)
	}
	return n, nil
}

// cloneTable creates an empty table shaped like table (keys and indexes).
func cloneTable(ctx context.Context, db *dynamodb.Client, table, name string) (string, error) {
	d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
	if err != nil {
		return "", err
	}
	t := d.Table
	in := &dynamodb.CreateTableInput{
		TableName: &name, KeySchema: t.KeySchema, AttributeDefinitions: t.AttributeDefinitions,
		BillingMode: dbtypes.BillingModePayPerRequest,
	}
	for _, g := range t.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, dbtypes.GlobalSecondaryIndex{
			IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection,
		})
	}
	if _, err := db.CreateTable(ctx, in); err != nil {
		return "", fmt.Errorf("create %s: %w", name, err)
	}
	return name, nil
}

// Mix is what a changed feed changes, by kind.
type Mix struct {
	Updates, Leavers, EmailChanges, Starters int
}

// Changed is how many members the mix changes.
func (m Mix) Changed() int { return m.Updates + m.Leavers + m.EmailChanges + m.Starters }

// Needed is the least number of table items the mix must write: each
// change writes its member and its provisioning log line; a leaver also
// frees its address, an email change frees one and claims one, a starter
// claims one.
func (m Mix) Needed() int {
	return 2*m.Updates + 3*m.Leavers + 4*m.EmailChanges + 3*m.Starters
}

// ChangeOnePercent changes 1% of a feed the way a busy day does: half of
// the changes are job or department moves, a fifth leavers, a tenth email
// changes, a fifth new starters.
func ChangeOnePercent(employees []peoplehrtest.Employee) ([]peoplehrtest.Employee, Mix) {
	total := max(len(employees)/100, 10)
	mix := Mix{Updates: total / 2, Leavers: total / 5, EmailChanges: total / 10}
	mix.Starters = total - mix.Updates - mix.Leavers - mix.EmailChanges
	out := make([]peoplehrtest.Employee, len(employees), len(employees)+mix.Starters)
	copy(out, employees)
	today := Today.Format(time.DateOnly)
	var template peoplehrtest.Employee
	todo := []int{mix.Updates, mix.Leavers, mix.EmailChanges}
	step, k := max(len(out)/total, 1), 0
	// Spread over the feed: every step-th employee, then the ones between.
	for off := 0; off < step && k < len(todo); off++ {
		for i := off; i < len(out) && k < len(todo); i += step {
			e := &out[i]
			if e.Left() || e.LeavingDate != "" || e.StartDate > today {
				continue // only current staff, so each change is what it says
			}
			template = *e
			switch k {
			case 0:
				e.JobRole, e.Department = "Head of "+e.Department, "Leadership"
			case 1:
				e.LeavingDate, e.EmployeeStatus, e.ReasonForLeaving = today, "Left", "Resignation"
			case 2:
				e.EmailID = "moved." + strconv.Itoa(i) + "@northwind.example"
			}
			if todo[k]--; todo[k] == 0 {
				k++
			}
		}
	}
	for i := range mix.Starters {
		s := template
		s.EmployeeID, s.EmailID = fmt.Sprintf("NEW%05d", i), fmt.Sprintf("new.starter%d@northwind.example", i)
		s.StartDate = today
		out = append(out, s)
	}
	return out, mix
}

// benchTenant is the tenant every bench run imports for.
func benchTenant() stack.Tenant {
	return stack.Tenant{
		ID: TenantID, ProgrammeName: "Northwind Perks", AdminEmail: "admin@northwind.example",
		APIKey: peoplehrtest.DefaultAPIKey, Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping(),
	}
}

// benchStack starts a stack of its own for an n-employee run, with the
// bench tenant seeded; the caller closes it.
func (e *Env) benchStack(ctx context.Context, part string, n int, employees []peoplehrtest.Employee, now func() time.Time) (*stack.Stack, error) {
	// Named for the part too: the peak and the search bench both take
	// 100,000, and a closed stack's name stays taken in moto.
	st, err := stack.Start(ctx, stack.Options{
		Moto: e.Moto, SES: e.SES, Prefix: fmt.Sprintf("bench%s%d-", part, n), Employees: employees, Now: now,
	})
	if err != nil {
		return nil, err
	}
	if err := st.SeedTenant(ctx, benchTenant()); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}
