package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/peoplesync/peoplesync/internal/dev/devstack"
	"github.com/peoplesync/peoplesync/internal/files"
	"github.com/peoplesync/peoplesync/internal/wiring"
)

const (
	typeFunction = "AWS::Serverless::Function"
	typeRole     = "AWS::IAM::Role"
	typeQueue    = "AWS::SQS::Queue"
	typeLogGroup = "AWS::Logs::LogGroup"
	typeAlarm    = "AWS::CloudWatch::Alarm"
)

// repoRoot is the module's root, from the package's directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := devstack.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func loadTemplate(t testing.TB) *devstack.Template {
	t.Helper()
	tpl, err := devstack.LoadTemplate(filepath.Join(repoRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// rawTemplate is what devstack.Template leaves out: resources' Metadata,
// the Outputs' names and the Conditions' names.
type rawTemplate struct {
	Resources map[string]struct {
		Metadata       map[string]any `yaml:"Metadata"`
		DeletionPolicy string         `yaml:"DeletionPolicy"`
		Condition      string         `yaml:"Condition"`
	} `yaml:"Resources"`
	Outputs    map[string]yaml.Node `yaml:"Outputs"`
	Conditions map[string]yaml.Node `yaml:"Conditions"`
}

func loadRaw(t testing.TB) rawTemplate {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var raw rawTemplate
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	return raw
}

// functionIDs maps each functions/<dir> to its logical id: api ->
// ApiFunction, as the Makefile's build-<LogicalId> targets expect.
func functionID(dir string) string {
	r := []rune(dir)
	r[0] = unicode.ToUpper(r[0])
	return string(r) + "Function"
}

func functionDirs(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(repoRoot(t), "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	return dirs
}

func resourcesOfType(tpl *devstack.Template, typ string) []string {
	var ids []string
	for id, r := range tpl.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// prop follows a path of mapping keys.
func prop(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// target is the logical id an intrinsic names: !Ref X, !GetAtt X.Attr.
func target(v any) string {
	in, ok := v.(devstack.Intrinsic)
	if !ok {
		return ""
	}
	switch in.Name {
	case "Ref":
		return in.Arg.(string)
	case "Fn::GetAtt":
		id, _ := in.Arg.([]any)[0].(string)
		return id
	}
	return ""
}

func TestEveryFunctionFolderHasAResourceAndBack(t *testing.T) {
	tpl := loadTemplate(t)
	raw := loadRaw(t)
	makefile, err := os.ReadFile(filepath.Join(repoRoot(t), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	dirs := functionDirs(t)
	var want []string
	for _, d := range dirs {
		want = append(want, functionID(d))
	}
	slices.Sort(want)
	if got := resourcesOfType(tpl, typeFunction); !slices.Equal(got, want) {
		t.Fatalf("functions in template.yaml %v, folders in functions/ make %v", got, want)
	}
	globals, _ := tpl.Globals["Function"].(map[string]any)
	for _, d := range dirs {
		id := functionID(d)
		p := tpl.Resources[id].Properties
		setting := func(name string) any {
			if v, ok := p[name]; ok {
				return v
			}
			return globals[name]
		}
		if got := raw.Resources[id].Metadata["BuildMethod"]; got != "makefile" {
			t.Errorf("%s: Metadata.BuildMethod %v, want makefile", id, got)
		}
		if p["CodeUri"] != "." {
			t.Errorf("%s: CodeUri %v, want . (the Makefile builds from the module root)", id, p["CodeUri"])
		}
		if !regexp.MustCompile(`(?m)^(build-\S+\s+)*build-` + id + `[\s:]`).Match(makefile) {
			t.Errorf("%s: the Makefile has no build-%s target for sam build", id, id)
		}
		if setting("Runtime") != "provided.al2023" || setting("Handler") != "bootstrap" {
			t.Errorf("%s: runtime %v handler %v, want provided.al2023 and bootstrap", id, setting("Runtime"), setting("Handler"))
		}
		if a, _ := setting("Architectures").([]any); !slices.Equal(a, []any{"arm64"}) {
			t.Errorf("%s: architectures %v, want [arm64]", id, a)
		}
		for _, name := range []string{"MemorySize", "Timeout"} {
			if _, err := strconv.Atoi(fmt.Sprint(p[name])); err != nil {
				t.Errorf("%s: %s must be explicit, got %v", id, name, p[name])
			}
		}
		if _, ok := p["Policies"]; ok {
			t.Errorf("%s: Policies (SAM adds managed policies on *); give it a Role of its own", id)
		}
		if r := target(p["Role"]); tpl.Resources[r].Type != typeRole {
			t.Errorf("%s: Role %v is not a role of the template", id, p["Role"])
		}
		lg := target(prop(p, "LoggingConfig", "LogGroup"))
		if tpl.Resources[lg].Type != typeLogGroup {
			t.Errorf("%s: LoggingConfig.LogGroup %v is not a log group of the template", id, prop(p, "LoggingConfig", "LogGroup"))
		}
	}
	// Each role serves one function.
	users := map[string][]string{}
	for _, id := range resourcesOfType(tpl, typeFunction) {
		r := target(tpl.Resources[id].Properties["Role"])
		users[r] = append(users[r], id)
	}
	for _, r := range resourcesOfType(tpl, typeRole) {
		if len(users[r]) != 1 {
			t.Errorf("role %s is used by %v, want exactly one function", r, users[r])
		}
	}
}

// The environment the code requires (wiring's lists, read by awsenv.Require
// at start) is what the template gives each function, and no more.
func TestFunctionEnvironmentMatchesWiring(t *testing.T) {
	tpl := loadTemplate(t)
	required := map[string][]string{
		"ApiFunction":       wiring.APIEnv,
		"SchedulerFunction": wiring.SchedulerEnv,
		"WorkerFunction":    wiring.WorkerEnv,
		"MailerFunction":    wiring.MailerEnv,
		"PlatformFunction":  wiring.PlatformEnv,
	}
	// Read with os.Getenv where set, so not in wiring's required lists;
	// GOGC by the Go runtime itself.
	optional := map[string]bool{"LOG_LEVEL": true, "SES_CONFIGURATION_SET": true, "EGRESS_IP": true, "GOGC": true}
	globals, _ := prop(tpl.Globals, "Function", "Environment", "Variables").(map[string]any)
	for id, names := range required {
		vars, _ := prop(tpl.Resources[id].Properties, "Environment", "Variables").(map[string]any)
		for _, n := range names {
			if _, ok := vars[n]; !ok {
				t.Errorf("%s: the code requires %s; the template does not set it", id, n)
			}
		}
		for n := range vars {
			if !slices.Contains(names, n) && !optional[n] {
				t.Errorf("%s: the template sets %s, which the code never reads", id, n)
			}
		}
		for n := range globals {
			if !optional[n] && !slices.Contains(names, n) {
				t.Errorf("Globals set %s for %s, which does not read it", n, id)
			}
		}
	}
	if len(required) != len(resourcesOfType(tpl, typeFunction)) {
		t.Errorf("a function is missing from this test's table")
	}
}

// walk calls fn for every mapping in v, with the path to it.
func walk(v any, path string, fn func(path string, m map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		fn(path, v)
		for k, e := range v {
			walk(e, path+"."+k, fn)
		}
	case []any:
		for i, e := range v {
			walk(e, fmt.Sprintf("%s[%d]", path, i), fn)
		}
	case devstack.Intrinsic:
		walk(v.Arg, path, fn)
	}
}

func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, stringList(e)...)
		}
		return out
	}
	return nil
}

// No policy anywhere in the template (roles, key, bucket, topic) allows or
// denies a wildcard action, or uses NotAction; a "*" principal only ever
// appears in a Deny.
func TestNoWildcardActions(t *testing.T) {
	tpl := loadTemplate(t)
	statements := 0
	for id, r := range tpl.Resources {
		walk(r.Properties, id, func(path string, m map[string]any) {
			if _, ok := m["NotAction"]; ok {
				t.Errorf("%s: NotAction allows everything but a list", path)
			}
			actions, ok := m["Action"]
			if !ok {
				return
			}
			statements++
			for _, a := range stringList(actions) {
				if strings.Contains(a, "*") {
					t.Errorf("%s: wildcard action %q", path, a)
				}
			}
			if m["Principal"] == "*" && m["Effect"] != "Deny" {
				t.Errorf("%s: allows any principal", path)
			}
		})
		if r.Type == typeRole && r.Properties["ManagedPolicyArns"] != nil {
			t.Errorf("%s: managed policies grant what the code does not call", id)
		}
	}
	if statements < 10 {
		t.Fatalf("found only %d policy statements: is the walk broken?", statements)
	}
}

// grant is one action on one resource, the resource written as the
// template names it: a logical id ("Table"), a path under one
// ("Table/index/GSI1", "ErrorFilesBucket/errors/*"), or an ARN with the
// partition, region and account left out ("ses:identity/${SESSender}").
type grant struct{ action, resource string }

func (g grant) String() string { return g.action + " on " + g.resource }

// resourceNames normalises a policy statement's Resource.
func resourceNames(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, resourceNames(e)...)
		}
		return out
	case devstack.Intrinsic:
		switch v.Name {
		case "Ref":
			if v.Arg == "AWS::NoValue" {
				return nil
			}
			return []string{v.Arg.(string)}
		case "Fn::GetAtt":
			args := v.Arg.([]any)
			if args[1] == "Arn" {
				return []string{args[0].(string)}
			}
			return []string{fmt.Sprintf("%s.%s", args[0], args[1])}
		case "Fn::Sub":
			s, _ := v.Arg.(string)
			s = strings.TrimPrefix(s, "arn:${AWS::Partition}:")
			s = strings.Replace(s, ":${AWS::Region}:${AWS::AccountId}:", ":", 1)
			if m := regexp.MustCompile(`^\$\{(\w+)\.Arn\}(.*)$`).FindStringSubmatch(s); m != nil {
				s = m[1] + m[2]
			}
			return []string{s}
		case "Fn::If":
			args := v.Arg.([]any)
			return append(resourceNames(args[1]), resourceNames(args[2])...)
		}
	}
	return []string{fmt.Sprintf("<unreadable %v>", v)}
}

// roleGrants lists what a role's inline policies allow, the statements a
// condition adds (!If [cond, statement, !Ref AWS::NoValue]) included.
func roleGrants(t *testing.T, tpl *devstack.Template, role string) map[grant]bool {
	t.Helper()
	out := map[grant]bool{}
	policies, _ := tpl.Resources[role].Properties["Policies"].([]any)
	for _, p := range policies {
		stmts, _ := prop(p, "PolicyDocument", "Statement").([]any)
		for _, s := range stmts {
			if in, ok := s.(devstack.Intrinsic); ok && in.Name == "Fn::If" {
				s = in.Arg.([]any)[1]
			}
			st := s.(map[string]any)
			if st["Effect"] != "Allow" {
				t.Errorf("%s: a %v statement; roles here only allow", role, st["Effect"])
				continue
			}
			for _, a := range stringList(st["Action"]) {
				for _, r := range resourceNames(st["Resource"]) {
					out[grant{a, r}] = true
				}
			}
		}
	}
	return out
}

// iamAction is the IAM action that authorises an SDK operation: the
// operation's own name, except SQS's batch calls, which SendMessage,
// DeleteMessage and ChangeMessageVisibility authorise.
func iamAction(c Call) string {
	prefix := c.Service
	switch prefix {
	case "sesv2":
		prefix = "ses"
	case "eventbridge":
		prefix = "events"
	}
	op := c.Operation
	if c.Service == "sqs" {
		op = strings.TrimSuffix(op, "Batch")
	}
	return prefix + ":" + op
}

var (
	callsOnce sync.Once
	calls     map[string][]Call
	callsErr  error
)

func functionCalls(t *testing.T) map[string][]Call {
	t.Helper()
	callsOnce.Do(func() { calls, callsErr = FunctionCalls(repoRoot(t)) })
	if callsErr != nil {
		t.Fatal(callsErr)
	}
	return calls
}

// expectedGrants derives what function id needs from what its code calls
// (FunctionCalls), the resources its environment names, its event sources
// and its log group.
func expectedGrants(t *testing.T, tpl *devstack.Template, id string, code []Call) map[grant]bool {
	t.Helper()
	p := tpl.Resources[id].Properties
	env, _ := prop(p, "Environment", "Variables").(map[string]any)
	envTarget := func(name string) string {
		r := target(env[name])
		if r == "" {
			t.Errorf("%s: its code calls AWS but %s does not name a template resource or parameter", id, name)
		}
		return r
	}
	want := map[grant]bool{}
	add := func(action string, resources ...string) {
		for _, r := range resources {
			want[grant{action, r}] = true
		}
	}
	logGroup := target(prop(p, "LoggingConfig", "LogGroup"))
	add("logs:CreateLogStream", logGroup)
	add("logs:PutLogEvents", logGroup)
	// In a VPC, Lambda manages the function's network interfaces with its
	// role (what AWSLambdaVPCAccessExecutionRole grants, on any resource).
	if p["VpcConfig"] != nil {
		for _, a := range lambdaVPCActions {
			add(a, "*")
		}
	}
	events, _ := p["Events"].(map[string]any)
	for _, ev := range events {
		if prop(ev, "Type") == "SQS" {
			q := target(prop(ev, "Properties", "Queue"))
			for _, a := range []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"} {
				add(a, q)
			}
		}
	}
	prefix, _, _ := strings.Cut(files.Key("t", "r"), "/")
	exports, _, _ := strings.Cut(files.ExportKey("t", "x", "csv"), "/")
	// Error files are written by the worker; the API writes exports (its
	// only write) and signs links to both.
	s3Prefixes := func(action string) []string {
		switch {
		case id != "ApiFunction":
			return []string{prefix}
		case action == "s3:PutObject":
			return []string{exports}
		}
		return []string{prefix, exports}
	}
	for _, c := range code {
		a := iamAction(c)
		switch c.Service {
		case "dynamodb":
			table := envTarget("TABLE_NAME")
			if c.Index != "" {
				add(a, table+"/index/"+c.Index)
			} else {
				add(a, table)
			}
		case "s3":
			for _, p := range s3Prefixes(a) {
				add(a, envTarget("ERROR_FILES_BUCKET")+"/"+p+"/*")
			}
		case "kms":
			add(a, envTarget("KEYS_KEY_ID"))
		case "sqs":
			// The queues the function is told about.
			n := 0
			for name, v := range env {
				if r := target(v); tpl.Resources[r].Type == typeQueue {
					add(a, envTarget(name))
					n++
				}
			}
			if n == 0 {
				t.Errorf("%s: its code sends to SQS but its environment names no queue", id)
			}
		case "eventbridge":
			add(a, envTarget("EVENT_BUS_NAME"))
		case "ses", "sesv2":
			add(a, "ses:identity/${"+envTarget("SES_FROM")+"}", "ses:identity/${SESSenderDomain}")
			if cs := target(env["SES_CONFIGURATION_SET"]); cs != "" {
				add(a, "ses:configuration-set/${"+cs+"}")
			}
		default:
			t.Errorf("%s: its code calls %s, which this test does not map to a resource", id, c)
		}
	}
	return want
}

var lambdaVPCActions = []string{
	"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
	"ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
}

// Each function's role allows exactly what its code can call (read from
// the code, see FunctionCalls) on the resources it is given, plus what
// Lambda does for it (its SQS event source, its log group): a missing
// grant would fail in AWS, an extra one is more than it needs.
func TestLeastPrivilege(t *testing.T) {
	tpl := loadTemplate(t)
	code := functionCalls(t)
	for _, dir := range functionDirs(t) {
		id := functionID(dir)
		t.Run(id, func(t *testing.T) {
			cs, ok := code[dir]
			if !ok {
				t.Fatalf("no code found for functions/%s", dir)
			}
			t.Logf("code calls %v", cs)
			want := expectedGrants(t, tpl, id, cs)
			got := roleGrants(t, tpl, target(tpl.Resources[id].Properties["Role"]))
			for g := range want {
				if !got[g] {
					t.Errorf("missing: %s (its code calls it)", g)
				}
			}
			for g := range got {
				if !want[g] {
					t.Errorf("extra: %s (its code never calls it)", g)
				}
			}
		})
	}
}

// The analysis itself: what each function is known to call and not call.
func TestFunctionCallsFindsTheAdapters(t *testing.T) {
	code := functionCalls(t)
	has := func(dir, call string) bool {
		return slices.ContainsFunc(code[dir], func(c Call) bool { return c.String() == call })
	}
	for dir, calls := range map[string][]string{
		"scheduler": {"dynamodb:Query@GSI1", "dynamodb:UpdateItem", "sqs:SendMessageBatch"},
		"worker":    {"dynamodb:Query", "dynamodb:PutItem", "kms:Decrypt", "s3:PutObject", "sqs:SendMessageBatch"},
		"mailer":    {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query", "ses:SendEmail"},
		"api":       {"kms:Encrypt", "s3:GetObject", "s3:PutObject", "dynamodb:Query@PeriodIndex", "dynamodb:Query@GSI3", "dynamodb:Query@GSI4", "dynamodb:Query@GSI5", "sqs:SendMessageBatch"},
	} {
		for _, c := range calls {
			if !has(dir, c) {
				t.Errorf("%s: %s not found in %v", dir, c, code[dir])
			}
		}
	}
	for dir, calls := range map[string][]string{
		"scheduler": {"dynamodb:Query", "dynamodb:PutItem", "kms:Decrypt"},
		"mailer":    {"sqs:SendMessageBatch", "kms:Decrypt", "dynamodb:Query@GSI1"},
		"api":       {"ses:SendEmail"},
	} {
		for _, c := range calls {
			if has(dir, c) {
				t.Errorf("%s: %s found; its code never makes it", dir, c)
			}
		}
	}
}

// What the issue asks of the data, the queues and the alarms, checked on
// the template so that a later edit cannot drop it silently.
func TestTemplateSettings(t *testing.T) {
	tpl := loadTemplate(t)
	raw := loadRaw(t)
	p := func(id string, path ...string) any { return prop(tpl.Resources[id].Properties, path...) }
	checks := []struct {
		what      string
		got, want any
	}{
		{"table TTL attribute", p("Table", "TimeToLiveSpecification", "AttributeName"), "purgeAt"},
		{"table TTL on", p("Table", "TimeToLiveSpecification", "Enabled"), "true"},
		{"table PITR", p("Table", "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"), "true"},
		{"table SSE", p("Table", "SSESpecification", "SSEEnabled"), "true"},
		{"table on demand", p("Table", "BillingMode"), "PAY_PER_REQUEST"},
		{"key rotation", p("KeysKey", "EnableKeyRotation"), "true"},
		{"imports queue FIFO", p("ImportsQueue", "FifoQueue"), "true"},
		{"imports DLQ", target(p("ImportsQueue", "RedrivePolicy", "deadLetterTargetArn")), "ImportsDeadLetterQueue"},
		{"mail DLQ", target(p("MailQueue", "RedrivePolicy", "deadLetterTargetArn")), "MailDeadLetterQueue"},
		{"worker batch", p("WorkerFunction", "Events", "Jobs", "Properties", "BatchSize"), "1"},
		{"mailer batch", p("MailerFunction", "Events", "Mail", "Properties", "BatchSize"), "1"},
		{"scheduler reserved concurrency", p("SchedulerFunction", "ReservedConcurrentExecutions"), "1"},
		{"table kept on delete", raw.Resources["Table"].DeletionPolicy, "Retain"},
		{"key kept on delete", raw.Resources["KeysKey"].DeletionPolicy, "Retain"},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if p("ErrorFilesBucket", "PublicAccessBlockConfiguration", k) != "true" {
			t.Errorf("bucket: %s is not true", k)
		}
	}
	if p("ErrorFilesBucket", "BucketEncryption") == nil {
		t.Error("bucket: no default encryption")
	}
	rules, _ := p("ErrorFilesBucket", "LifecycleConfiguration", "Rules").([]any)
	if !slices.ContainsFunc(rules, func(r any) bool { return prop(r, "ExpirationInDays") != nil }) {
		t.Error("bucket: error files never expire")
	}
	tls := false
	for _, s := range p("ErrorFilesBucketPolicy", "PolicyDocument", "Statement").([]any) {
		tls = tls || prop(s, "Effect") == "Deny" && prop(s, "Condition", "Bool", "aws:SecureTransport") == "false"
	}
	if !tls || target(p("ErrorFilesBucketPolicy", "Bucket")) != "ErrorFilesBucket" {
		t.Error("bucket: no TLS-only policy")
	}

	// Every SQS event source reports partial batch failures, and each
	// queue's visibility timeout is at least six times its consumer's
	// timeout (AWS's advice); reserved concurrency is at least the
	// queue's maximum concurrency, or Lambda throttles the poller.
	for _, id := range resourcesOfType(tpl, typeFunction) {
		events, _ := p(id, "Events").(map[string]any)
		for name, ev := range events {
			if prop(ev, "Type") != "SQS" {
				continue
			}
			if rt := stringList(prop(ev, "Properties", "FunctionResponseTypes")); !slices.Equal(rt, []string{"ReportBatchItemFailures"}) {
				t.Errorf("%s.%s: FunctionResponseTypes %v, want partial batch responses", id, name, rt)
			}
			q := target(prop(ev, "Properties", "Queue"))
			vis, _ := strconv.Atoi(fmt.Sprint(p(q, "VisibilityTimeout")))
			timeout, _ := strconv.Atoi(fmt.Sprint(p(id, "Timeout")))
			if vis < 6*timeout {
				t.Errorf("%s: visibility timeout %d s is under 6x %s's timeout (%d s)", q, vis, id, timeout)
			}
			if fmt.Sprint(prop(ev, "Properties", "ScalingConfig", "MaximumConcurrency")) != fmt.Sprint(p(id, "ReservedConcurrentExecutions")) {
				t.Errorf("%s: reserved concurrency %v differs from its queue's maximum concurrency %v",
					id, p(id, "ReservedConcurrentExecutions"), prop(ev, "Properties", "ScalingConfig", "MaximumConcurrency"))
			}
		}
	}
	for _, id := range resourcesOfType(tpl, typeLogGroup) {
		if p(id, "RetentionInDays") == nil {
			t.Errorf("%s: kept forever (no RetentionInDays)", id)
		}
	}

	// Alarms: every one tells the topic; the topic emails AlarmEmail; each
	// DLQ and each function has one; failed runs are counted from the
	// worker's own log line.
	alarmed := map[string]bool{}
	for _, id := range resourcesOfType(tpl, typeAlarm) {
		if a := p(id, "AlarmActions").([]any); len(a) != 1 || target(a[0]) != "AlarmTopic" {
			t.Errorf("%s: AlarmActions %v, want the alarm topic", id, a)
		}
		walk(tpl.Resources[id].Properties, id, func(_ string, m map[string]any) {
			if v, ok := m["Value"]; ok {
				alarmed[target(v)] = true
			}
		})
		if mn, ok := p(id, "MetricName").(string); ok {
			alarmed[mn] = true
		}
	}
	for _, want := range []string{"ImportsDeadLetterQueue", "MailDeadLetterQueue", "FailedRuns", "ApiFunction", "SchedulerFunction", "WorkerFunction", "MailerFunction"} {
		if !alarmed[want] {
			t.Errorf("no alarm on %s", want)
		}
	}
	if p("AlarmEmailSubscription", "Protocol") != "email" || target(p("AlarmEmailSubscription", "Endpoint")) != "AlarmEmail" ||
		target(p("AlarmEmailSubscription", "TopicArn")) != "AlarmTopic" {
		t.Error("the alarm topic does not email AlarmEmail")
	}
	failed := p("FailedRunsMetricFilter", "FilterPattern")
	if target(p("FailedRunsMetricFilter", "LogGroupName")) != "WorkerLogGroup" || failed != `{ $.msg = "run failed" }` {
		t.Errorf("failed runs metric filter: %v", failed)
	}
	worker, err := os.ReadFile(filepath.Join(repoRoot(t), "internal", "worker", "runner.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{`"run failed"`, `"run finished"`} {
		if !strings.Contains(string(worker), msg) {
			t.Errorf("the worker no longer logs %s, which a metric filter counts", msg)
		}
	}

	for _, name := range []string{"PeopleHRBaseURL", "SESSender", "SESConfigurationSet", "JWTIssuer", "JWTAudience", "AlarmEmail", "ScheduleRate"} {
		if _, ok := tpl.Parameters[name]; !ok {
			t.Errorf("no parameter %s", name)
		}
	}
	for _, name := range []string{"ApiUrl", "TableName", "ImportsQueueUrl", "MailQueueUrl", "AlarmTopicArn"} {
		if _, ok := raw.Outputs[name]; !ok {
			t.Errorf("no output %s", name)
		}
	}
}
