package devstack

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func mustParse(t *testing.T, src string) *Template {
	t.Helper()
	tpl, err := ParseTemplate([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestParseIntrinsics(t *testing.T) {
	tpl := mustParse(t, `
Parameters:
  Name: {Type: String, Default: x}
  NoDefault: {Type: String}
Resources:
  R:
    Type: Test::Thing
    Properties:
      ShortRef: !Ref Name
      LongRef: {Ref: Name}
      GetAttDot: !GetAtt Db.Endpoint.Address
      GetAttList: !GetAtt [Q, Arn]
      GetAttLong: {"Fn::GetAtt": [Q, Arn]}
      GetAttLongDot: {"Fn::GetAtt": Q.Arn}
      Sub: !Sub "arn:${AWS::Partition}:s3:::${B}/*"
      SubList: !Sub ["${A}-${B}", {A: !Ref Name}]
      Join: !Join [",", [a, !Ref Name]]
      If: !If [IsProd, !Ref Name, !Ref "AWS::NoValue"]
      Quoted: "!Ref Name"
      Number: 5
      Bool: true
      Null: ~
      Nested:
        - !Select [0, !GetAZs ""]
`)
	if p := tpl.Parameters["Name"]; p.Type != "String" || p.Default == nil || *p.Default != "x" {
		t.Errorf("parameter Name %+v", p)
	}
	if tpl.Parameters["NoDefault"].Default != nil {
		t.Error("NoDefault has a default")
	}
	ref := func(n string) Intrinsic { return Intrinsic{"Ref", n} }
	want := map[string]any{
		"ShortRef":      ref("Name"),
		"LongRef":       ref("Name"),
		"GetAttDot":     Intrinsic{"Fn::GetAtt", []any{"Db", "Endpoint.Address"}},
		"GetAttList":    Intrinsic{"Fn::GetAtt", []any{"Q", "Arn"}},
		"GetAttLong":    Intrinsic{"Fn::GetAtt", []any{"Q", "Arn"}},
		"GetAttLongDot": Intrinsic{"Fn::GetAtt", []any{"Q", "Arn"}},
		"Sub":           Intrinsic{"Fn::Sub", "arn:${AWS::Partition}:s3:::${B}/*"},
		"SubList":       Intrinsic{"Fn::Sub", []any{"${A}-${B}", map[string]any{"A": ref("Name")}}},
		"Join":          Intrinsic{"Fn::Join", []any{",", []any{"a", ref("Name")}}},
		"If":            Intrinsic{"Fn::If", []any{"IsProd", ref("Name"), ref("AWS::NoValue")}},
		"Quoted":        "!Ref Name",
		"Number":        "5",
		"Bool":          "true",
		"Null":          nil,
		"Nested":        []any{Intrinsic{"Fn::Select", []any{"0", Intrinsic{"Fn::GetAZs", ""}}}},
	}
	got := tpl.Resources["R"].Properties
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s = %#v, want %#v", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d properties, want %d", len(got), len(want))
	}
}

// The real template grows with the project, so this checks properties of
// it rather than its full contents.
func TestParseRealTemplate(t *testing.T) {
	tpl := loadRealTemplate(t)
	if got := tpl.Resources["WorkerFunction"].Type; got != "AWS::Serverless::Function" {
		t.Errorf("WorkerFunction type %s", got)
	}
	env, err := lookupMapping(tpl.Globals, []string{"Function", "Environment", "Variables"})
	if err != nil || !reflect.DeepEqual(env["LOG_LEVEL"], Intrinsic{"Ref", "LogLevel"}) {
		t.Errorf("Globals env %v, %v", env, err)
	}
	order, err := provisionOrder(tpl)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"Table", "ErrorFilesBucket", "KeysKey"} {
		if !slices.Contains(order, id) {
			t.Errorf("%s not provisioned", id)
		}
	}
	for i, id := range order {
		if creators[tpl.Resources[id].Type] == nil {
			t.Errorf("%s (%s) provisioned", id, tpl.Resources[id].Type)
		}
		for _, dep := range references(tpl.Resources[id].Properties) {
			if j := slices.Index(order, dep); j > i {
				t.Errorf("%s provisioned before %s, which it refers to", id, dep)
			}
		}
	}
	if n := len(order); n != len(slices.Compact(slices.Sorted(slices.Values(order)))) {
		t.Errorf("order %v repeats a resource", order)
	}
}

func TestParseErrors(t *testing.T) {
	for name, src := range map[string]string{
		"empty":           ``,
		"not a mapping":   `[1, 2]`,
		"no type":         "Resources:\n  R:\n    Properties: {}\n",
		"duplicate key":   "Resources:\n  R: {Type: A}\n  R: {Type: B}\n",
		"getatt no dot":   "Resources:\n  R: {Type: A, Properties: {X: !GetAtt Q}}\n",
		"getatt 3 items":  "Resources:\n  R: {Type: A, Properties: {X: !GetAtt [Q, Arn, Y]}}\n",
		"ref of a list":   "Resources:\n  R: {Type: A, Properties: {X: !Ref [Q]}}\n",
		"bad yaml":        "Resources: [\n",
		"list parameters": "Parameters:\n  P: {Default: [a]}\n",
	} {
		if _, err := ParseTemplate([]byte(src)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestResolve(t *testing.T) {
	tpl := mustParse(t, `
Parameters:
  Env: {Type: String, Default: dev}
  Secret: {Type: String}
Resources:
  Q: {Type: AWS::SQS::Queue}
  F: {Type: AWS::Serverless::Function}
`)
	res := &Resources{region: Region, byID: map[string]created{
		"Q": {name: "p-Q", ref: "http://q/p-Q", attrs: map[string]string{"Arn": "arn:q", "QueueName": "p-Q"}},
	}}
	rv := resolver{t: tpl, res: res}
	ok := map[string]string{
		`!Ref Env`:         "dev",
		`!Ref Q`:           "http://q/p-Q",
		`!GetAtt Q.Arn`:    "arn:q",
		`!Ref AWS::Region`: Region,
		`!Sub "${AWS::AccountId}/${Env}/${Q}/${Q.QueueName}/${!Literal}/$x"`: AccountID + "/dev/http://q/p-Q/p-Q/${Literal}/$x",
		`!Sub ["${A}:${Q.Arn}", {A: !Ref Env}]`:                              "dev:arn:q",
		`plain`:                                                              "plain",
	}
	for src, want := range ok {
		v := mustParse(t, "Resources:\n  R: {Type: X, Properties: {V: "+src+"}}\n").Resources["R"].Properties["V"]
		got, err := rv.str(v)
		if err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", src, got, err, want)
		}
	}
	bad := map[string]string{
		`!Ref Secret`:      "no Default",
		`!Ref F`:           "not provisioned",
		`!Ref Nope`:        "no parameter or resource",
		`!GetAtt Q.Nope`:   "not available",
		`!Join [",", [a]]`: "not supported",
		`!Sub "${Env"`:     "unterminated",
		`!Sub "${Secret}"`: "no Default",
		`[a]`:              "want a string",
	}
	for src, want := range bad {
		v := mustParse(t, "Resources:\n  R: {Type: X, Properties: {V: "+src+"}}\n").Resources["R"].Properties["V"]
		if _, err := rv.str(v); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one saying %q", src, err, want)
		}
	}
}

func TestProvisionOrder(t *testing.T) {
	tpl := mustParse(t, `
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt JobsDLQ.Arn, maxReceiveCount: 3}
  Mail:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !Sub "${MailDLQ.Arn}", maxReceiveCount: 3}
  Fn: {Type: AWS::Serverless::Function}
  JobsDLQ: {Type: AWS::SQS::Queue}
  MailDLQ: {Type: AWS::SQS::Queue}
`)
	order, err := provisionOrder(tpl)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"JobsDLQ", "Jobs", "MailDLQ", "Mail"}; !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}

	cyclic := mustParse(t, `
Resources:
  A: {Type: AWS::SQS::Queue, Properties: {RedrivePolicy: {deadLetterTargetArn: !GetAtt B.Arn}}}
  B: {Type: AWS::SQS::Queue, Properties: {RedrivePolicy: {deadLetterTargetArn: !GetAtt A.Arn}}}
`)
	if _, err := provisionOrder(cyclic); err == nil {
		t.Error("cycle: no error")
	}
}

func TestFunctionEnvResolution(t *testing.T) {
	tpl := mustParse(t, `
Parameters:
  Sender: {Type: String}
Globals:
  Function:
    Environment:
      Variables: {SHARED: global, OVERRIDDEN: global}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          OVERRIDDEN: own
          SENDER: !Ref Sender
  Bare: {Type: AWS::Serverless::Function}
`)
	res := &Resources{region: Region, byID: map[string]created{}}
	if _, err := FunctionEnv(tpl, res, "Fn", nil); err == nil || !strings.Contains(err.Error(), "SENDER") {
		t.Errorf("parameter without default: error %v", err)
	}
	// An override stands in for a value the template cannot give.
	env, err := FunctionEnv(tpl, res, "Fn", map[string]string{"SENDER": "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"SHARED": "global", "OVERRIDDEN": "own", "SENDER": "a@example.com"}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("env %v, want %v", env, want)
	}
	env, err = FunctionEnv(tpl, res, "Bare", nil)
	if err != nil || !reflect.DeepEqual(env, map[string]string{"SHARED": "global", "OVERRIDDEN": "global"}) {
		t.Errorf("function without env: %v, %v", env, err)
	}
	if _, err := FunctionEnv(tpl, res, "Nope", nil); err == nil {
		t.Error("unknown function: no error")
	}
}

func TestBucketName(t *testing.T) {
	for in, want := range map[string]string{
		"t1-ErrorFilesBucket": "t1-errorfilesbucket",
		"Test_Run.1-Bucket":   "test-run.1-bucket",
		"-x-Bucket":           "x-bucket",
	} {
		if got, err := bucketName(in); err != nil || got != want {
			t.Errorf("bucketName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := bucketName(strings.Repeat("a", 64)); err == nil {
		t.Error("64 characters accepted")
	}
}
