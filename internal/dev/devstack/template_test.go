package devstack

import (
	"reflect"
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
	fn, _ := tpl.Globals["Function"].(map[string]any)
	env, _ := fn["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)
	if !reflect.DeepEqual(vars["LOG_LEVEL"], Intrinsic{"Ref", "LogLevel"}) {
		t.Errorf("Globals env %v", vars)
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
