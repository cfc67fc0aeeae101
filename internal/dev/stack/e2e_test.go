package stack_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/peoplesync/peoplesync/internal/dev/bench"
	"github.com/peoplesync/peoplesync/internal/dev/devstack"
	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/wiring"
)

var (
	moto *devstack.Moto
	ses  *devstack.SES
)

func TestMain(m *testing.M) { os.Exit(devstack.RunWithEmulators(m, &moto, &ses)) }

// clock is the functions' time, moved by the test between runs.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// runWrites counts, at the DynamoDB client, the member items a run writes
// (bench's counter, which make bench reads too).
type runWrites struct{ bench.DB }

func (w *runWrites) take() int { return w.Take().RunMemberWrites }

const tenant = "acme"

func emp(id, first, email string) peoplehrtest.Employee {
	return peoplehrtest.Employee{
		EmployeeID: id, FirstName: first, LastName: "Tester", EmailID: email, StartDate: "2020-01-06",
		JobRole: "Analyst", Department: "Sales", Location: "Leeds", EmployeeStatus: peoplehrtest.ActiveStatus,
		APIColumn1: "04/05/1990",
		BankDetail: peoplehrtest.BankDetail{AccountName: "MR BANK " + id, AccountNumber: "99" + id + "77", SortCode: "12-34-56"},
	}
}

func left(e peoplehrtest.Employee, on string) peoplehrtest.Employee {
	e.LeavingDate, e.EmployeeStatus, e.ReasonForLeaving = on, "Left", "Resigned"
	return e
}

// firstFeed mixes new starters, leavers, a future leaver, bad rows and
// hostile values.
func firstFeed() []peoplehrtest.Employee {
	e5 := emp("E005", "Eve", "eve@acme.example")
	e5.LeavingDate = "2026-03-15" // still active on the 10th
	e12 := emp("E012", "Lee", "lee@acme.example")
	e12.APIColumn1 = "31/02/1990"
	e13 := emp("E013", "Max", "max@acme.example")
	e13.JobRole = strings.Repeat("Senior ", 43) // 301 characters
	return []peoplehrtest.Employee{
		emp("E001", "Ann", "Ann@Acme.example"),
		emp("E002", "Bob", "bob@acme.example"),
		emp("E003", "Cara", "cara@acme.example"),
		left(emp("E004", "Dan", "dan@acme.example"), "2026-02-01"),
		e5,
		emp("E006", "Fay", "fay@acme.example"),
		emp("E007", "Gus", ""),
		emp("E008", "Hal", "not-an-email"),
		left(emp("E009", "Ivy", "ivy@acme.example"), "2026-01-15"),
		emp("E010", "Jo", "bob@acme.example"),
		emp("E011", "=cmd|' /C calc'!A0", "kim@acme.example"),
		e12,
		e13,
		emp("=1+2", "Formula", ""),
		emp("+44", "Plus", ""),
		emp("-5", "Minus", ""),
		emp("@SUM(A1)", "At", ""),
	}
}

// secondFeed is the first a week and a half later: an update, an email
// change, a leaver, a rehire, new starters (one taking the address the email
// change gave up).
func secondFeed() []peoplehrtest.Employee {
	feed := firstFeed()
	for i, e := range feed {
		switch e.EmployeeID {
		case "E001":
			feed[i].Department = "Marketing"
		case "E002":
			feed[i].EmailID = "robert@acme.example"
		case "E003":
			feed[i] = left(e, "2026-03-18")
		case "E009":
			feed[i].LeavingDate, feed[i].EmployeeStatus, feed[i].ReasonForLeaving = "", peoplehrtest.ActiveStatus, ""
		}
	}
	nia := emp("E014", "Nia", "nia@acme.example")
	oli := emp("E015", "Oli", "oli@acme.example")
	oli.StartDate = "2026-04-01"
	return append(feed, nia, oli)
}

// newStack starts a stack for the test, its consumers not running; wrap,
// if not nil, may replace the functions' AWS clients.
func newStack(t *testing.T, clk *clock, employees []peoplehrtest.Employee, wrap func(*wiring.Clients)) *stack.Stack {
	t.Helper()
	return startWith(t, stack.Options{Employees: employees, Now: clk.Now, Log: testLog(t), WrapClients: wrap})
}

// newStackLogging starts a stack whose JSON logs also go to logs.
func newStackLogging(t *testing.T, clk *clock, employees []peoplehrtest.Employee, logs *bytes.Buffer) *stack.Stack {
	t.Helper()
	w := io.MultiWriter(logs, t.Output())
	return startWith(t, stack.Options{Employees: employees, Now: clk.Now, Log: slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))})
}

// stacks numbers the stacks of the run: each gets its own resource names.
var stacks atomic.Int64

func startWith(t *testing.T, o stack.Options) *stack.Stack {
	t.Helper()
	o.Moto, o.SES, o.Prefix = moto, ses, fmt.Sprintf("t%d-", stacks.Add(1))
	st, err := stack.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("start stack: %v", err)
	}
	t.Cleanup(st.Close)
	return st
}

// startStack starts a stack whose consumers run, counting member writes.
func startStack(t *testing.T, clk *clock, writes *runWrites, employees []peoplehrtest.Employee) *stack.Stack {
	t.Helper()
	st := newStack(t, clk, employees, func(c *wiring.Clients) { writes.API = c.DynamoDB; c.DynamoDB = writes })
	st.StartConsumers(context.Background())
	return st
}

func seedAcme(t *testing.T, st *stack.Stack) {
	t.Helper()
	settings := integration.DefaultSettings()
	settings.DateFormat = "dd/MM/yyyy"
	err := st.SeedTenant(context.Background(), stack.Tenant{
		ID: tenant, ProgrammeName: "Acme Perks", AdminEmail: "admin@acme.example",
		APIKey: peoplehrtest.DefaultAPIKey, Settings: settings, Mapping: seedMapping(),
	})
	if err != nil {
		t.Fatalf("seed tenant: %v", err)
	}
}

func seedMapping() engine.Mapping {
	m := engine.DefaultMapping()
	m.Fields["dateOfBirth"] = "APIColumn1"
	return m
}

// seedLeaver stores Ivy as a leaver an earlier import closed, so the second
// run can rehire her.
func seedLeaver(t *testing.T, st *stack.Stack) {
	t.Helper()
	ivy := engine.Member{Status: engine.StatusLeaver, Welcome: engine.WelcomeSent, LeftOn: "2026-01-15", PurgeOn: "2026-03-16"}
	ivy.Values.Set(engine.EmployeeID, "E009")
	ivy.Values.Set(engine.Email, "ivy@acme.example")
	ivy.Values.Set(engine.FirstName, "Ivy")
	ivy.Values.Set(engine.LastName, "Tester")
	ivy.Values.Set(engine.JobTitle, "Analyst")
	ivy.Values.Set(engine.Department, "Sales")
	ivy.Values.Set(engine.Location, "Leeds")
	ivy.Values.Set(engine.StartDate, "2020-01-06")
	ivy.Values.Set(engine.DateOfBirth, "1990-05-04")
	conflicts, err := st.Store.Apply(context.Background(), tenant, "seed", []engine.Change{{Kind: engine.KindCreate, After: ivy}}, nil)
	if err != nil || len(conflicts) > 0 {
		t.Fatalf("seed leaver: %v %v", err, conflicts)
	}
}

func runImport(t *testing.T, st *stack.Stack) *integration.Run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	queued, err := st.Enqueue(ctx, tenant, integration.TriggerManual)
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	run, err := st.WaitFinished(ctx, tenant, queued.RunID)
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	return run
}

// waitMail waits until the mailer has settled every welcome and the run's
// summary.
func waitMail(t *testing.T, st *stack.Stack, runID string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		pending := 0
		for _, m := range members(t, st) {
			if m.Welcome == engine.WelcomeOwed || m.Welcome == engine.WelcomeSending {
				pending++
			}
		}
		run, err := st.Store.GetRun(context.Background(), tenant, runID)
		if err != nil {
			t.Fatal(err)
		}
		if pending == 0 && run.Summary != integration.MailOwed && run.Summary != integration.MailSending {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the mailer did not settle the run's emails in 30s")
}

// sentTo counts the emails the SES emulator accepted per recipient and
// subject prefix.
func sentTo(t *testing.T) map[string]int {
	t.Helper()
	emails, err := ses.Sent(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range emails {
		kind := "summary"
		if strings.HasPrefix(e.Subject, "Welcome to ") {
			kind = "welcome"
		}
		for _, to := range e.To {
			out[kind+" "+to]++
		}
	}
	return out
}

func members(t *testing.T, st *stack.Stack) map[string]engine.Member {
	t.Helper()
	list, err := st.Store.Members(context.Background(), tenant)
	if err != nil {
		t.Fatalf("members: %v", err)
	}
	out := make(map[string]engine.Member, len(list))
	for _, m := range list {
		out[m.EmployeeID()] = m
	}
	return out
}

func TestThreeRunsThroughTheSandbox(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	writes := &runWrites{}
	st := startStack(t, clk, writes, firstFeed())
	seedAcme(t, st)
	seedLeaver(t, st)
	writes.take()

	// Run 1: the first import.
	if err := ses.Clear(context.Background()); err != nil {
		t.Fatal(err)
	}
	run := runImport(t, st)
	waitMail(t, st, run.RunID)
	want := engine.Counts{Created: 8, Unchanged: 1, SkippedLeavers: 1, Errors: 7, Warnings: 2, Total: 17}
	if run.Status != integration.StatusSucceededWithErrors || run.Counts != want {
		t.Fatalf("run 1: %s %+v, want %+v", run.Status, run.Counts, want)
	}
	if got := writes.take(); got != 8 {
		t.Errorf("run 1 wrote %d member items, want 8", got)
	}
	m := members(t, st)
	if len(m) != 9 {
		t.Fatalf("run 1 left %d members, want 9", len(m))
	}
	checkMember(t, m["E001"], map[engine.Field]string{
		engine.Email: "ann@acme.example", engine.FirstName: "Ann", engine.LastName: "Tester", engine.JobTitle: "Analyst",
		engine.Department: "Sales", engine.Location: "Leeds", engine.StartDate: "2020-01-06", engine.DateOfBirth: "1990-05-04",
	}, engine.StatusInvited, engine.WelcomeSent, "", "")
	checkMember(t, m["E005"], map[engine.Field]string{engine.Email: "eve@acme.example"}, engine.StatusInvited, engine.WelcomeSent, "", "")
	checkMember(t, m["E011"], map[engine.Field]string{engine.FirstName: "=cmd|' /C calc'!A0"}, engine.StatusInvited, engine.WelcomeSent, "", "")
	checkMember(t, m["E012"], map[engine.Field]string{engine.DateOfBirth: ""}, engine.StatusInvited, engine.WelcomeSent, "", "")
	checkMember(t, m["E013"], map[engine.Field]string{engine.JobTitle: strings.Repeat("Senior ", 43)[:200]}, engine.StatusInvited, engine.WelcomeSent, "", "")
	for _, absent := range []string{"E004", "E007", "E008", "E010", "=1+2"} {
		if _, ok := m[absent]; ok {
			t.Errorf("run 1 created %s", absent)
		}
	}
	checkErrorFile(t, st, run, 9)

	// Run 2: ten days later the directory has changed.
	clk.Set(time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC))
	st.Sandbox.SetEmployees(secondFeed())
	run = runImport(t, st)
	waitMail(t, st, run.RunID)
	want = engine.Counts{Created: 3, Updated: 2, Closed: 2, Reactivated: 1, Unchanged: 4, SkippedLeavers: 1, Errors: 6, Warnings: 2, Total: 19}
	if run.Status != integration.StatusSucceededWithErrors || run.Counts != want {
		t.Fatalf("run 2: %s %+v, want %+v", run.Status, run.Counts, want)
	}
	if got := writes.take(); got != 8 {
		t.Errorf("run 2 wrote %d member items, want 8 (one per change)", got)
	}
	m = members(t, st)
	checkMember(t, m["E001"], map[engine.Field]string{engine.Department: "Marketing", engine.Email: "ann@acme.example", engine.Location: "Leeds"}, engine.StatusInvited, engine.WelcomeSent, "", "")
	checkMember(t, m["E002"], map[engine.Field]string{engine.Email: "robert@acme.example", engine.FirstName: "Bob"}, engine.StatusInvited, engine.WelcomeSent, "", "")
	checkMember(t, m["E003"], map[engine.Field]string{engine.Email: "cara@acme.example"}, engine.StatusLeaver, engine.WelcomeSent, "2026-03-18", "2026-05-19")
	checkMember(t, m["E005"], nil, engine.StatusLeaver, engine.WelcomeSent, "2026-03-15", "2026-05-19")
	checkMember(t, m["E009"], map[engine.Field]string{engine.Email: "ivy@acme.example"}, engine.StatusInvited, engine.WelcomeSent, "", "")
	checkMember(t, m["E010"], map[engine.Field]string{engine.Email: "bob@acme.example", engine.FirstName: "Jo"}, engine.StatusInvited, engine.WelcomeSent, "", "")
	checkMember(t, m["E015"], map[engine.Field]string{engine.StartDate: "2026-04-01"}, engine.StatusInvited, engine.WelcomeSent, "", "")
	if m["E001"].Version != 2 || m["E006"].Version != 1 {
		t.Errorf("versions: E001 %d (want 2), E006 %d (want 1)", m["E001"].Version, m["E006"].Version)
	}
	checkOwners(t, st, map[string]string{
		"bob@acme.example": "E010", "robert@acme.example": "E002", "ivy@acme.example": "E009",
		"cara@acme.example": "", "eve@acme.example": "",
	})

	// Run 3: nothing changed, nothing written.
	clk.Set(time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC))
	run = runImport(t, st)
	waitMail(t, st, run.RunID)
	want = engine.Counts{Unchanged: 12, SkippedLeavers: 1, Errors: 6, Warnings: 2, Total: 19}
	if run.Counts != want {
		t.Fatalf("run 3: %+v, want %+v", run.Counts, want)
	}
	if got := writes.take(); got != 0 {
		t.Errorf("run 3 wrote %d member items, want 0", got)
	}

	// The same job delivered again after it finished is a no-op.
	again, err := st.Worker.Run(context.Background(), integration.Job{TenantID: tenant, RunID: run.RunID, Trigger: run.Trigger})
	if err != nil || again.Counts != want || !again.FinishedAt.Equal(run.FinishedAt) {
		t.Errorf("redelivery: %v %+v", err, again)
	}
	if got := writes.take(); got != 0 {
		t.Errorf("redelivery wrote %d member items", got)
	}
	assertNoBankDetail(t, st)

	// One welcome per new member, ever; Ivy, rehired without having
	// accepted her first invitation, is invited again but not mailed: her
	// welcome was sent before she left (issue 15); one summary a run.
	sent := sentTo(t)
	wantSent := map[string]int{"summary admin@acme.example": 3, "welcome bob@acme.example": 2} // Bob, then Jo after Bob moved to robert@
	for _, who := range []string{"ann", "cara", "eve", "fay", "kim", "lee", "max", "nia", "oli"} {
		wantSent["welcome "+who+"@acme.example"] = 1
	}
	if !maps.Equal(sent, wantSent) {
		t.Errorf("emails sent:\n%v\nwant\n%v", sent, wantSent)
	}
}

func checkMember(t *testing.T, m engine.Member, fields map[engine.Field]string, status engine.Status, welcome engine.Welcome, leftOn, purgeOn string) {
	t.Helper()
	id := m.EmployeeID()
	if id == "" {
		t.Errorf("member missing (want status %s)", status)
		return
	}
	for f, v := range fields {
		if m.Values.Get(f) != v {
			t.Errorf("%s.%s = %q, want %q", id, f, m.Values.Get(f), v)
		}
	}
	if m.Status != status || m.Welcome != welcome || m.LeftOn != leftOn || m.PurgeOn != purgeOn {
		t.Errorf("%s: status %s welcome %s leftOn %q purgeOn %q; want %s %s %q %q", id, m.Status, m.Welcome, m.LeftOn, m.PurgeOn, status, welcome, leftOn, purgeOn)
	}
}

// checkOwners reads the email reservation items; "" means none.
func checkOwners(t *testing.T, st *stack.Stack, want map[string]string) {
	t.Helper()
	for email, owner := range want {
		out, err := st.Clients.DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{
			TableName: &[]string{st.WorkerEnv["TABLE_NAME"]}[0],
			Key: map[string]ddbtypes.AttributeValue{
				"PK": &ddbtypes.AttributeValueMemberS{Value: "T#" + tenant + "#EMAIL#" + email},
				"SK": &ddbtypes.AttributeValueMemberS{Value: "EMAIL"},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if s, ok := out.Item["owner"].(*ddbtypes.AttributeValueMemberS); ok {
			got = s.Value
		}
		if got != owner {
			t.Errorf("owner of %s = %q, want %q", email, got, owner)
		}
	}
}

// checkErrorFile reads the run's CSV from S3: one row per issue, and no
// cell a spreadsheet would run as a formula.
func checkErrorFile(t *testing.T, st *stack.Stack, run *integration.Run, issues int) {
	t.Helper()
	if run.ErrorFileKey == "" {
		t.Fatal("no error file")
	}
	bucket := st.WorkerEnv["ERROR_FILES_BUCKET"]
	out, err := st.Clients.S3.(*s3.Client).GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &run.ErrorFileKey})
	if err != nil {
		t.Fatalf("get error file: %v", err)
	}
	defer out.Body.Close()
	body, _ := io.ReadAll(out.Body)
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("parse error file: %v", err)
	}
	if len(rows) != issues+1 || strings.Join(rows[0], ",") != "row,employee id,field,message,severity" {
		t.Fatalf("error file has %d rows, header %v:\n%s", len(rows), rows[0], body)
	}
	escaped := 0
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("unescaped cell %q", cell)
			}
			if strings.HasPrefix(cell, "'") {
				escaped++
			}
		}
	}
	if escaped != 4 {
		t.Errorf("%d escaped cells, want 4 (=1+2, +44, -5, @SUM(A1)):\n%s", escaped, body)
	}
}

// rawDynamo is a client of the emulator that no test wraps.
func rawDynamo() *dynamodb.Client {
	return dynamodb.NewFromConfig(devstack.AWSConfig(moto.Endpoint()))
}

// scanTable is every item of the stack's table as JSON.
func scanTable(t *testing.T, st *stack.Stack) string {
	t.Helper()
	table := st.WorkerEnv["TABLE_NAME"]
	client := rawDynamo()
	var items []map[string]any
	p := dynamodb.NewScanPaginator(client, &dynamodb.ScanInput{TableName: &table})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var got []map[string]any
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &got); err != nil {
			t.Fatal(err)
		}
		items = append(items, got...)
	}
	raw, err := json.Marshal(items)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// assertNoBankDetail scans the whole table for the sandbox's bank values.
func assertNoBankDetail(t *testing.T, st *stack.Stack) {
	t.Helper()
	dump := scanTable(t, st)
	if !strings.Contains(dump, "robert@acme.example") {
		t.Fatalf("the scan did not read the members: %.200s", dump)
	}
	for _, needle := range []string{"MR BANK", "12-34-56", "99E00"} {
		if strings.Contains(dump, needle) {
			t.Errorf("bank detail %q found in the table", needle)
		}
	}
}

// testLog sends the stack's logs to the test's output, shown only when it
// fails.
func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}
