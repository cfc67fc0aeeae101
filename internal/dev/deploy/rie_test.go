package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/peoplesync/peoplesync/internal/dev/devstack"
	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dynamo"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/secrets"
	"github.com/peoplesync/peoplesync/internal/wiring"
)

var (
	moto *devstack.Moto
	ses  *devstack.SES
)

func TestMain(m *testing.M) { os.Exit(devstack.RunWithEmulators(m, &moto, &ses)) }

// The tenant, runs and member the samples in events/ name.
const (
	sampleTenant   = "northwind"
	sampleAdmin    = "admin@northwind.example"
	sampleRun      = "20260310T090000Z-1a2b3c4d"
	sampleHeld1    = "20260311T090000Z-5e6f7a8b" // discarded
	sampleHeld2    = "20260312T090000Z-9c0d1e2f" // approved
	sampleEmployee = "PW0002"
	sampleEmail    = "oliver.jones@northwind.example"
)

func readEvent(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "events", rel))
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(data) {
		t.Fatalf("events/%s is not JSON", rel)
	}
	return data
}

// Every trigger in the template has samples in events/<folder>/, named
// after the template's event (GetImport.json, Jobs.json, Jobs-held-...),
// each for what that event sends: the API's carry the route they stand
// for and the JWT authorizer's claims, the queues' carry SQS records. No
// sample stands for a trigger the template lacks.
func TestEventSamplesCoverEveryTrigger(t *testing.T) {
	tpl := loadTemplate(t)
	root := repoRoot(t)
	covered := map[string]bool{}
	for _, dir := range functionDirs(t) {
		id := functionID(dir)
		evs, _ := tpl.Resources[id].Properties["Events"].(map[string]any)
		for name, ev := range evs {
			matches, _ := filepath.Glob(filepath.Join(root, "events", dir, name+"*.json"))
			if len(matches) == 0 {
				t.Errorf("%s: no sample for its %s event (events/%s/%s.json)", id, name, dir, name)
			}
			for _, path := range matches {
				if base := strings.TrimSuffix(filepath.Base(path), ".json"); base != name && !strings.HasPrefix(base, name+"-") {
					continue // another event's name that starts the same
				}
				covered[path] = true
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				checkSample(t, path, fmt.Sprint(prop(ev, "Type")), prop(ev, "Properties"), data)
			}
		}
	}
	err := filepath.WalkDir(filepath.Join(root, "events"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !covered[path] && filepath.Ext(path) == ".json" {
			t.Errorf("%s belongs to no event of the template", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func checkSample(t *testing.T, path, typ string, props any, data []byte) {
	t.Helper()
	switch typ {
	case "HttpApi":
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		route := fmt.Sprintf("%v %v", prop(props, "Method"), prop(props, "Path"))
		if ev.RouteKey != route || ev.RequestContext.RouteKey != route || ev.Version != "2.0" {
			t.Errorf("%s: route %q (%q), want %q in a payload 2.0 event", path, ev.RouteKey, ev.RequestContext.RouteKey, route)
		}
		if ev.RequestContext.HTTP.Method != fmt.Sprint(prop(props, "Method")) || ev.RequestContext.HTTP.Path != ev.RawPath {
			t.Errorf("%s: requestContext.http disagrees with the route", path)
		}
		public := prop(props, "Auth", "Authorizer") == "NONE"
		claims := map[string]string{}
		if a := ev.RequestContext.Authorizer; a != nil && a.JWT != nil {
			claims = a.JWT.Claims
		}
		if prop(props, "Auth", "Authorizer") == "PlatformJWT" {
			// The platform's machine token, with the route's scope.
			scopes := strings.Fields(claims["scope"])
			for _, want := range stringList(prop(props, "Auth", "AuthorizationScopes")) {
				if !slices.Contains(scopes, want) {
					t.Errorf("%s: the token's scopes %v lack the route's %s", path, scopes, want)
				}
			}
			if claims["client_id"] == "" || claims["tenant_id"] != "" || claims["email"] != "" || ev.PathParameters["tenantId"] != sampleTenant {
				t.Errorf("%s: claims %v, path %v: want a platform client's, for the sample tenant", path, claims, ev.PathParameters)
			}
			break
		}
		if !public && (claims["tenant_id"] != sampleTenant || claims["email"] != sampleAdmin) {
			t.Errorf("%s: JWT authorizer claims %v, want the sample tenant's admin", path, claims)
		}
		if public && len(claims) > 0 {
			t.Errorf("%s: a public route has no authorizer", path)
		}
	case "SQS":
		var ev events.SQSEvent
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(ev.Records) == 0 {
			t.Errorf("%s: no records", path)
		}
		batch, _ := strconv.Atoi(fmt.Sprint(prop(props, "BatchSize")))
		if len(ev.Records) > batch {
			t.Errorf("%s: %d records, more than the batch size %d", path, len(ev.Records), batch)
		}
		for _, r := range ev.Records {
			if r.EventSource != "aws:sqs" || r.MessageId == "" {
				t.Errorf("%s: record %+v is not an SQS record", path, r)
			}
		}
	case "Schedule":
		var ev events.CloudWatchEvent
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" {
			t.Errorf("%s: not an EventBridge scheduled event", path)
		}
	default:
		t.Errorf("%s: no check for %s events", path, typ)
	}
}

// The names the local stack creates are the template's: one table,
// bucket, key and queue per template resource, named from its logical id,
// and each function's environment pointing at them.
func TestLocalNamesComeFromTheTemplate(t *testing.T) {
	ctx := t.Context()
	tpl := loadTemplate(t)
	cfg := devstack.AWSConfig(moto.Endpoint())
	const prefix = "names-"
	res, err := devstack.Provision(ctx, cfg, tpl, prefix)
	if err != nil {
		t.Fatal(err)
	}
	c := devstack.NewClients(cfg)
	var created []string
	tables, err := c.DynamoDB.ListTables(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	created = append(created, tables.TableNames...)
	queues, err := c.SQS.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range queues.QueueUrls {
		created = append(created, u[strings.LastIndex(u, "/")+1:])
	}
	buckets, err := c.S3.ListBuckets(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range buckets.Buckets {
		created = append(created, aws.ToString(b.Name))
	}
	var want []string
	for _, typ := range []string{"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket"} {
		for _, id := range resourcesOfType(tpl, typ) {
			name := res.Name(id)
			want = append(want, name)
			lower := strings.ToLower(name)
			if !strings.HasPrefix(lower, strings.ToLower(prefix+id)) {
				t.Errorf("%s was created as %s, not from its logical id", id, name)
			}
		}
	}
	var mine []string
	for _, n := range created {
		if strings.HasPrefix(strings.ToLower(n), prefix) {
			mine = append(mine, n)
		}
	}
	slices.Sort(mine)
	slices.Sort(want)
	if !slices.Equal(mine, want) {
		t.Errorf("created %v, the template declares %v", mine, want)
	}
	if _, err := c.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(res.Ref("KeysKey"))}); err != nil {
		t.Errorf("key %s: %v", res.Ref("KeysKey"), err)
	}
	// Each function's environment names what was created.
	for _, id := range resourcesOfType(tpl, typeFunction) {
		env, err := devstack.FunctionEnv(tpl, res, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		vars, _ := prop(tpl.Resources[id].Properties, "Environment", "Variables").(map[string]any)
		for name, v := range vars {
			r := target(v)
			if _, isResource := tpl.Resources[r]; !isResource {
				continue
			}
			if got, want := env[name], resolved(v, res); got != want {
				t.Errorf("%s: %s = %q, want %q", id, name, got, want)
			}
		}
	}
}

// resolved is what v (a !Ref or !GetAtt X.Arn) gives against res.
func resolved(v any, res *devstack.Resources) string {
	in := v.(devstack.Intrinsic)
	if in.Name == "Ref" {
		return res.Ref(target(v))
	}
	return res.Arn(target(v))
}

// functionEnv is a function's environment under the RIE: the template's
// (resolved against the provisioned resources) with the emulators as AWS,
// and nothing of this process's own environment.
func functionEnv(t *testing.T, tpl *devstack.Template, res *devstack.Resources, id, peoplehr, home string) map[string]string {
	t.Helper()
	var overrides map[string]string
	vars, _ := prop(tpl.Resources[id].Properties, "Environment", "Variables").(map[string]any)
	if _, ok := vars["PEOPLEHR_BASE_URL"]; ok {
		overrides = map[string]string{"PEOPLEHR_BASE_URL": peoplehr}
	}
	env, err := devstack.FunctionEnv(tpl, res, id, overrides)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_REGION":            devstack.Region,
		"AWS_ACCESS_KEY_ID":     "test",
		"AWS_SECRET_ACCESS_KEY": "test",
		"AWS_ENDPOINT_URL":      moto.Endpoint(),
		// The mailer's SES client takes SES's own endpoint variable.
		"AWS_ENDPOINT_URL_SES":        ses.Endpoint(),
		"AWS_CONFIG_FILE":             filepath.Join(home, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "no-credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"HOME":                        home,
		"PATH":                        "/usr/bin:/bin",
		"TZ":                          "UTC",
	} {
		env[k] = v
	}
	return env
}

// buildNative builds every function for this machine, as `make build` does
// for Lambda but for the host's OS and architecture. -trimpath is left
// out so the build reuses what `go test` already compiled.
func buildNative(t *testing.T, ctx context.Context, dir string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-ldflags", "-s -w", "-o", dir+string(filepath.Separator), "./functions/...")
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the functions: %v\n%s", err, out)
	}
}

// seedTenant stores a published, scheduled integration with a sealed key
// for the sandbox, its slot due a minute ago, as stack.SeedTenant does.
func seedTenant(t *testing.T, ctx context.Context, store *dynamo.Store, sealer *secrets.Sealer) {
	t.Helper()
	sealed, err := sealer.Seal(ctx, sampleTenant, peoplehrtest.DefaultAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	settings := integration.DefaultSettings()
	settings.Frequency, settings.TimeOfDay, settings.TimeZone = "hourly", "00:00", "UTC"
	due := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	in := &integration.Integration{
		TenantID: sampleTenant, ProgrammeName: "Northwind Perks", AdminEmail: sampleAdmin,
		Settings: settings, Mapping: engine.DefaultMapping(), Published: true, State: integration.StateLive,
		Key:       &integration.SealedKey{Ciphertext: sealed, Last4: secrets.Last4(peoplehrtest.DefaultAPIKey), AddedAt: time.Now()},
		NextRunAt: due, DueAt: due,
	}
	if err := store.PutIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
}

// TestFunctionsUnderRIE runs the real binaries, built for this machine,
// under the Lambda Runtime Interface Emulator against moto, the SES
// emulator and the PeopleHR sandbox, with every sample in events/.
func TestFunctionsUnderRIE(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs every function")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	root := repoRoot(t)
	rie, err := RIEPath(root)
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	start := time.Now()
	buildNative(t, ctx, bin)
	t.Logf("built every function for this machine in %v", time.Since(start).Round(time.Millisecond))

	tpl := loadTemplate(t)
	cfg := devstack.AWSConfig(moto.Endpoint())
	res, err := devstack.Provision(ctx, cfg, tpl, "rie-")
	if err != nil {
		t.Fatal(err)
	}
	sandbox := peoplehrtest.New(peoplehrtest.Options{Employees: peoplehrtest.DemoEmployees()})
	defer sandbox.Close()
	if err := ses.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	clients := wiring.NewClients(cfg, ses.Endpoint())
	store := dynamo.New(clients.DynamoDB, res.Name("Table"))
	sealer := secrets.NewSealer(clients.KMS, res.Arn("KeysKey"))
	seedTenant(t, ctx, store, sealer)
	sqsc := devstack.NewClients(cfg).SQS

	// Start all four at once; each is one RIE and one bootstrap process.
	home := t.TempDir()
	fns := map[string]*Function{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, dir := range functionDirs(t) {
		id := functionID(dir)
		p := tpl.Resources[id].Properties
		timeout, _ := strconv.Atoi(fmt.Sprint(p["Timeout"]))
		memory, _ := strconv.Atoi(fmt.Sprint(p["MemorySize"]))
		env := functionEnv(t, tpl, res, id, sandbox.URL(), home)
		wg.Go(func() {
			f, err := StartFunction(ctx, FunctionOptions{
				RIE: rie, Bootstrap: filepath.Join(bin, dir), Name: id, Env: env,
				Timeout: time.Duration(timeout) * time.Second, MemoryMB: memory,
			})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			fns[dir] = f
			mu.Unlock()
		})
	}
	wg.Wait()
	defer func() {
		for dir, f := range fns {
			f.Stop()
			if !f.Exited() {
				t.Errorf("%s still running after Stop", dir)
			}
			if t.Failed() {
				t.Logf("%s output:\n%s", dir, tail(f.Output(), 6000))
			}
			// The sealed key's plain text never reaches a log.
			if strings.Contains(f.Output(), peoplehrtest.DefaultAPIKey) {
				t.Errorf("%s logged the PeopleHR API key", dir)
			}
		}
	}()
	if t.Failed() {
		t.FailNow()
	}

	invoke := func(dir string, event []byte) Invocation {
		t.Helper()
		f := fns[dir]
		ictx, icancel := context.WithTimeout(ctx, 30*time.Second)
		defer icancel()
		inv, err := f.Invoke(ictx, event)
		if err != nil {
			t.Fatalf("%s: %v\n%s", dir, err, tail(f.Output(), 4000))
		}
		if inv.Status != http.StatusOK || inv.FunctionError() != "" {
			t.Fatalf("%s: invoke answered %d %s\n%s", dir, inv.Status, inv.Payload, tail(f.Output(), 4000))
		}
		return inv
	}
	invokeSample := func(dir, rel string) Invocation {
		t.Helper()
		return invoke(dir, readEvent(t, rel))
	}
	batchFailures := func(inv Invocation) []string {
		t.Helper()
		var r events.SQSEventResponse
		if err := json.Unmarshal(inv.Payload, &r); err != nil {
			t.Fatalf("SQS handler answered %s: %v", inv.Payload, err)
		}
		var ids []string
		for _, f := range r.BatchItemFailures {
			ids = append(ids, f.ItemIdentifier)
		}
		return ids
	}
	recordIDs := func(rel string) []string {
		var ev events.SQSEvent
		if err := json.Unmarshal(readEvent(t, rel), &ev); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range ev.Records {
			ids = append(ids, r.MessageId)
		}
		return ids
	}
	// take receives the jobs waiting in a queue, as Lambda's poller would,
	// and deletes them.
	take := func(queueID string) []sqstypes.Message {
		t.Helper()
		var msgs []sqstypes.Message
		for {
			out, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
				QueueUrl: aws.String(res.Ref(queueID)), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
				MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Messages) == 0 {
				return msgs
			}
			for _, m := range out.Messages {
				if _, err := sqsc.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(res.Ref(queueID)), ReceiptHandle: m.ReceiptHandle}); err != nil {
					t.Fatal(err)
				}
			}
			msgs = append(msgs, out.Messages...)
		}
	}
	// asEvent is what Lambda's SQS poller hands the function for msgs.
	asEvent := func(queueID string, msgs ...sqstypes.Message) []byte {
		var ev events.SQSEvent
		for _, m := range msgs {
			ev.Records = append(ev.Records, events.SQSMessage{
				MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
				Body: aws.ToString(m.Body), Md5OfBody: aws.ToString(m.MD5OfBody), Attributes: m.Attributes,
				EventSource: "aws:sqs", EventSourceARN: res.Arn(queueID), AWSRegion: devstack.Region,
			})
		}
		data, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	getRun := func(runID string) *integration.Run {
		t.Helper()
		run, err := store.GetRun(ctx, sampleTenant, runID)
		if err != nil {
			t.Fatalf("run %s: %v", runID, err)
		}
		return run
	}

	// 1. The scheduler's tick queues the tenant's due slot.
	if inv := invokeSample("scheduler", "scheduler/Tick.json"); strings.TrimSpace(string(inv.Payload)) != "null" {
		t.Errorf("scheduler answered %s", inv.Payload)
	}
	scheduled := take("ImportsQueue")
	if len(scheduled) != 1 {
		t.Fatalf("the tick queued %d jobs, want the tenant's one", len(scheduled))
	}
	var job integration.Job
	if err := json.Unmarshal([]byte(aws.ToString(scheduled[0].Body)), &job); err != nil || job.TenantID != sampleTenant || job.Trigger != integration.TriggerSchedule {
		t.Fatalf("scheduled job %s (%v)", aws.ToString(scheduled[0].Body), err)
	}

	// 2. The worker runs the sample's manual import of the sandbox's
	// directory, then the scheduled job as SQS delivers it.
	if f := batchFailures(invokeSample("worker", "worker/Jobs.json")); len(f) != 0 {
		t.Fatalf("worker reported failures %v", f)
	}
	run := getRun(sampleRun)
	if run.Status != integration.StatusSucceededWithErrors || run.Counts.Created < 15 || run.ErrorFileKey == "" {
		t.Fatalf("first import: %s, counts %+v, error file %q", run.Status, run.Counts, run.ErrorFileKey)
	}
	created := run.Counts.Created
	if m, err := store.GetMember(ctx, sampleTenant, sampleEmployee); err != nil || m.Email() != sampleEmail {
		t.Fatalf("member %s: %+v, %v", sampleEmployee, m, err)
	}
	if f := batchFailures(invoke("worker", asEvent("ImportsQueue", scheduled...))); len(f) != 0 {
		t.Fatalf("worker reported failures %v for the scheduled job", f)
	}
	if r := getRun(job.RunID); !r.Status.Finished() || r.Counts.Created != 0 || r.Counts.Unchanged != created {
		t.Errorf("scheduled import: %s, counts %+v; want nothing new", r.Status, r.Counts)
	}
	// A job that is not JSON is the batch's one failure.
	if f, want := batchFailures(invokeSample("worker", "worker/Jobs-malformed.json")), recordIDs("worker/Jobs-malformed.json"); !slices.Equal(f, want) {
		t.Errorf("malformed job: failures %v, want %v", f, want)
	}
	// Both runs queue the welcomes still owed (the mailer claims each
	// once), so every new member has at least one job.
	welcomes := map[string]bool{}
	for _, m := range take("MailQueue") {
		var mj integration.MailJob
		if json.Unmarshal([]byte(aws.ToString(m.Body)), &mj) == nil && mj.Kind == integration.MailWelcome && mj.TenantID == sampleTenant {
			for _, id := range mj.Members() {
				welcomes[id] = true
			}
		}
	}
	if len(welcomes) != created || !welcomes[sampleEmployee] {
		t.Errorf("the worker queued welcome emails for %d members, want the %d new ones", len(welcomes), created)
	}

	// 3. The mailer sends the sample's welcome and summary (a job queued
	// before welcomes were packed, format 1); the truncated job is the
	// one failure.
	for _, sample := range []string{"mailer/Mail.json", "mailer/Mail-malformed.json", "mailer/Mail-summary-v1.json"} {
		var want []string
		if strings.Contains(sample, "malformed") {
			want = recordIDs(sample)
		}
		if f := batchFailures(invokeSample("mailer", sample)); !slices.Equal(f, want) {
			t.Errorf("mailer, %s: failures %v, want %v", sample, f, want)
		}
	}
	sent, err := ses.Sent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, e := range sent {
		to = append(to, strings.Join(e.To, ","))
		if e.From != "noreply@peoplesync.example" {
			t.Errorf("email from %q, want the template's SESSender", e.From)
		}
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{sampleAdmin, sampleEmail}) {
		t.Errorf("emails sent to %v, want the welcome to %s and the summary to %s", to, sampleEmail, sampleAdmin)
	}

	// 4. The API, route by route, as API Gateway passes each request on
	// with the JWT authorizer's claims.
	apiCall := func(name string, status int) events.APIGatewayV2HTTPResponse {
		t.Helper()
		event := readEvent(t, "api/"+name+".json")
		var req events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(event, &req); err != nil {
			t.Fatal(err)
		}
		var resp events.APIGatewayV2HTTPResponse
		inv := invoke("api", event)
		if err := json.Unmarshal(inv.Payload, &resp); err != nil {
			t.Fatalf("%s: answer %s: %v", name, inv.Payload, err)
		}
		if resp.StatusCode != status {
			t.Errorf("%s: %d %s, want %d", name, resp.StatusCode, tail(resp.Body, 500), status)
		}
		if got := resp.Headers["X-Request-Id"]; got != req.RequestContext.RequestID && !strings.HasPrefix(name, "Console") {
			t.Errorf("%s: X-Request-Id %q, want API Gateway's %q", name, got, req.RequestContext.RequestID)
		}
		return resp
	}
	api := func(name string, status int) map[string]any {
		t.Helper()
		resp := apiCall(name, status)
		var body map[string]any
		if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
			t.Errorf("%s: body is not a JSON object: %v: %s", name, err, tail(resp.Body, 500))
		}
		return body
	}
	if page := apiCall("Console", 200); !strings.HasPrefix(page.Headers["Content-Type"], "text/html") || !strings.Contains(page.Body, "<html") {
		t.Errorf("Console: %s %q", page.Headers["Content-Type"], tail(page.Body, 200))
	}
	if css := apiCall("ConsoleAssets", 200); !strings.HasPrefix(css.Headers["Content-Type"], "text/css") {
		t.Errorf("ConsoleAssets: %s", css.Headers["Content-Type"])
	}
	if doc := api("OpenAPI", 200); doc["openapi"] == nil {
		t.Errorf("OpenAPI: %v", doc)
	}
	if in := api("GetIntegration", 200); in["tenantId"] != sampleTenant && in["programmeName"] == nil {
		t.Errorf("GetIntegration: %v", in)
	}
	api("PutSettings", 200)
	api("Authorize", 200)
	api("Fields", 200)
	api("PutMapping", 200)
	api("Review", 200)
	if list := api("ListImports", 200); !strings.Contains(fmt.Sprint(list), sampleRun) {
		t.Errorf("ListImports does not list %s: %v", sampleRun, list)
	}
	if got := api("GetImport", 200); got["status"] != string(integration.StatusSucceededWithErrors) {
		t.Errorf("GetImport: %v", got)
	}
	link := api("ErrorFile", 200)
	if url, _ := link["url"].(string); !strings.HasPrefix(url, moto.Endpoint()) {
		t.Errorf("ErrorFile: %v", link)
	} else if csv := fetch(t, url); !strings.Contains(csv, "PW00") {
		t.Errorf("the error file's link gave %q", csv)
	}
	if list := api("ListMembers", 200); !strings.Contains(fmt.Sprint(list), sampleEmployee) {
		t.Errorf("ListMembers does not list %s: %v", sampleEmployee, list)
	}
	if m := api("GetMember", 200); !strings.Contains(fmt.Sprint(m), sampleEmail) {
		t.Errorf("GetMember: %v", m)
	}
	api("GetMemberLog", 200)
	// An export of the members, written by the request, its link read;
	// the sample's export id names none; the trail has the export.
	export := api("CreateExport", 201)
	if url, _ := export["url"].(string); !strings.HasPrefix(url, moto.Endpoint()) {
		t.Errorf("CreateExport: %v", export)
	} else if csv := fetch(t, url); !strings.Contains(csv, sampleEmail) {
		t.Errorf("the export's link gave %q", csv)
	}
	if list := api("ListExports", 200); !strings.Contains(fmt.Sprint(list), fmt.Sprint(export["exportId"])) {
		t.Errorf("ListExports does not list the export: %v", list)
	}
	api("GetExport", 404)
	if trail := api("AuditTrail", 200); !strings.Contains(fmt.Sprint(trail), integration.AuditExportRequested) {
		t.Errorf("AuditTrail: %v", trail)
	}

	// Held imports: with the directory emptied in PeopleHR, the sample
	// jobs are held (nothing applied); one is discarded, the other
	// approved, and the approval run the API queues is run.
	sandbox.SetEmployees(nil)
	for _, rel := range []string{"worker/Jobs-held-discard.json", "worker/Jobs-held-approve.json"} {
		if f := batchFailures(invokeSample("worker", rel)); len(f) != 0 {
			t.Fatalf("%s: failures %v", rel, f)
		}
	}
	for _, id := range []string{sampleHeld1, sampleHeld2} {
		if r := getRun(id); r.Status != integration.StatusHeld {
			t.Fatalf("run %s: %s, want held (an empty feed)", id, r.Status)
		}
	}
	take("MailQueue") // the held runs' summaries
	if d := api("Discard", 200); d["status"] != string(integration.StatusHeld) {
		t.Errorf("Discard: %v", d)
	}
	api("Approve", 202)
	approval := take("ImportsQueue")
	if len(approval) != 1 {
		t.Fatalf("approve queued %d jobs", len(approval))
	}
	if f := batchFailures(invoke("worker", asEvent("ImportsQueue", approval...))); len(f) != 0 {
		t.Fatalf("approval run: failures %v", f)
	}
	sandbox.SetEmployees(peoplehrtest.DemoEmployees())
	api("ImportNow", 202)
	api("Unpublish", 200)
	api("Publish", 200)
	api("Revoke", 200)
	trail := fmt.Sprint(api("AuditTrail", 200))
	for _, action := range []string{integration.AuditHeldDiscarded, integration.AuditHeldApproved, integration.AuditImportStarted,
		integration.AuditUnpublished, integration.AuditPublished, integration.AuditKeyRevoked, integration.AuditSettingsSaved} {
		if !strings.Contains(trail, action) {
			t.Errorf("the audit trail has no %s: %s", action, tail(trail, 800))
		}
	}

	// 5. The platform: the sample's invitation, issued as the mailer
	// would, redeemed; the member read by id and by address.
	var redeem struct{ Token string }
	var redeemEv events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(readEvent(t, "platform/RedeemInvitation.json"), &redeemEv); err != nil || json.Unmarshal([]byte(redeemEv.Body), &redeem) != nil {
		t.Fatalf("the redeem sample: %v", err)
	}
	invited := ""
	ms, err := store.Members(ctx, sampleTenant)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Welcome == engine.WelcomeOwed {
			invited = m.EmployeeID()
			break
		}
	}
	if _, err := store.ClaimWelcome(ctx, sampleTenant, invited, integration.InviteHash(redeem.Token), time.Now().Add(integration.InviteTTL)); err != nil {
		t.Fatalf("issue the sample's invitation to %q: %v", invited, err)
	}
	platform := func(name string, status int) map[string]any {
		t.Helper()
		var resp events.APIGatewayV2HTTPResponse
		inv := invoke("platform", readEvent(t, "platform/"+name+".json"))
		if err := json.Unmarshal(inv.Payload, &resp); err != nil {
			t.Fatalf("%s: answer %s: %v", name, inv.Payload, err)
		}
		var body map[string]any
		if resp.StatusCode != status || json.Unmarshal([]byte(resp.Body), &body) != nil {
			t.Errorf("%s: %d %s, want %d and a JSON object", name, resp.StatusCode, tail(resp.Body, 500), status)
		}
		return body
	}
	if m := platform("RedeemInvitation", 200); m["employeeId"] != invited || m["status"] != string(engine.StatusActive) {
		t.Errorf("RedeemInvitation: %v, want %s active", m, invited)
	}
	platform("RedeemInvitation", 409)
	if m := platform("PlatformGetMember", 200); m["email"] != sampleEmail {
		t.Errorf("PlatformGetMember: %v", m)
	}
	if m := platform("PlatformFindMember", 200); m["employeeId"] != sampleEmployee {
		t.Errorf("PlatformFindMember: %v", m)
	}
	if doc := platform("PlatformOpenAPI", 200); doc["openapi"] == nil {
		t.Errorf("PlatformOpenAPI: %v", doc)
	}

	for dir, f := range fns {
		f.Stop()
		if !f.Exited() {
			t.Errorf("%s still running after Stop", dir)
		}
	}
	measureColdStarts(t, ctx, rie, bin, tpl, res, sandbox.URL(), home)
	t.Logf("RIE test took %v", time.Since(start).Round(time.Millisecond))
}

// measureColdStarts starts each function afresh three times and gives it
// a trivial event twice: the first answer pays the cold start (the RIE
// starting the binary, which reads its environment, loads the AWS
// configuration and builds its clients and handler); the second is warm.
// Their difference is the init time; the medians are logged for the
// README.
func measureColdStarts(t *testing.T, ctx context.Context, rie, bin string, tpl *devstack.Template, res *devstack.Resources, peoplehr, home string) {
	trivial := map[string][]byte{
		"api":       readEvent(t, "api/OpenAPI.json"),
		"platform":  readEvent(t, "platform/PlatformGetMember.json"),
		"scheduler": readEvent(t, "scheduler/Tick.json"), // nothing is due any more
		"worker":    []byte(`{"Records":[]}`),
		"mailer":    []byte(`{"Records":[]}`),
	}
	for _, dir := range functionDirs(t) {
		id := functionID(dir)
		p := tpl.Resources[id].Properties
		memory, _ := strconv.Atoi(fmt.Sprint(p["MemorySize"]))
		env := functionEnv(t, tpl, res, id, peoplehr, home)
		var firsts, inits []time.Duration
		for range 3 {
			f, err := StartFunction(ctx, FunctionOptions{RIE: rie, Bootstrap: filepath.Join(bin, dir), Name: id, Env: env, Timeout: time.Minute, MemoryMB: memory})
			if err != nil {
				t.Fatal(err)
			}
			cold, err := f.Invoke(ctx, trivial[dir])
			firstAnswer := time.Since(f.Started())
			var warm Invocation
			if err == nil {
				warm, err = f.Invoke(ctx, trivial[dir])
			}
			f.Stop()
			if err != nil || cold.FunctionError() != "" || warm.FunctionError() != "" {
				t.Fatalf("%s: %v %s %s\n%s", dir, err, cold.Payload, warm.Payload, tail(f.Output(), 3000))
			}
			firsts = append(firsts, firstAnswer)
			inits = append(inits, max(cold.Took-warm.Took, 0))
		}
		size := int64(0)
		if st, err := os.Stat(filepath.Join(bin, dir)); err == nil {
			size = st.Size()
		}
		t.Logf("cold start %-9s init %5.1f ms | process start to first answer %5.1f ms (median of 3) | host binary %.1f MB",
			dir, ms(median(inits)), ms(median(firsts)), float64(size)/1e6)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fetch(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(body)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
