package devstack

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

// What forMoto changes, on a translated template; the stack tests show
// that moto then creates what the service needs.
func TestForMoto(t *testing.T) {
	st, err := forMoto([]byte(`{
  "Parameters": {
    "Retention": {"Type": "Number", "Default": 1209600},
    "Flag": {"Type": "String", "Default": true},
    "Name": {"Type": "String", "Default": "x"},
    "Email": {"Type": "String"}
  },
  "Resources": {
    "Jobs": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": true}},
    "Named": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": "true", "QueueName": "mine.fifo"}},
    "Plain": {"Type": "AWS::SQS::Queue"},
    "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Version": "2012-10-17"}}},
    "Mapping": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {"BatchSize": 1}},
    "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TimeToLiveSpecification": {"AttributeName": "purgeAt", "Enabled": true}}},
    "Off": {"Type": "AWS::DynamoDB::Table", "Properties": {"TimeToLiveSpecification": {"AttributeName": "x", "Enabled": false}}},
    "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "b"}},
    "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": {"BUS": {"Ref": "Bus"}, "JOBS": {"Ref": "Jobs"}}}}},
    "Alarm": {"Type": "AWS::CloudWatch::Alarm"}
  }
}`))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(st.body), &got); err != nil {
		t.Fatal(err)
	}
	at := func(path ...string) any {
		var v any = got
		for _, k := range path {
			v = v.(map[string]any)[k]
		}
		return v
	}
	getAtt := func(id, attr string) any { return map[string]any{"Fn::GetAtt": []any{id, attr}} }
	for _, c := range []struct {
		path []string
		want any
	}{
		{[]string{"Parameters", "Retention", "Default"}, "1209600"},
		{[]string{"Parameters", "Flag", "Default"}, "true"},
		{[]string{"Parameters", "Name", "Default"}, "x"},
		{[]string{"Resources", "Jobs", "Properties", "QueueName"}, map[string]any{"Fn::Sub": "${AWS::StackName}-Jobs.fifo"}},
		{[]string{"Resources", "Named", "Properties", "QueueName"}, "mine.fifo"},
		{[]string{"Resources", "Plain", "Properties", "QueueName"}, nil},
		{[]string{"Resources", "Key", "Properties", "KeyPolicy"}, map[string]any{"Fn::ToJsonString": map[string]any{"Version": "2012-10-17"}}},
		{[]string{"Resources", "Mapping", "Properties", "Enabled"}, false},
		{[]string{"Resources", "Fn", "Properties", "Environment", "Variables", "BUS"}, getAtt("Bus", "Name")},
		{[]string{"Resources", "Fn", "Properties", "Environment", "Variables", "JOBS"}, map[string]any{"Ref": "Jobs"}},
		{[]string{"Outputs", outRef + "Bus", "Value"}, getAtt("Bus", "Name")},
		{[]string{"Outputs", outName + "Jobs", "Value"}, getAtt("Jobs", "QueueName")},
		{[]string{"Outputs", outArn + "Table", "Value"}, getAtt("Table", "Arn")},
		{[]string{"Outputs", outRef + "Fn", "Value"}, map[string]any{"Ref": "Fn"}},
		{[]string{"Outputs", outRef + "Alarm"}, nil},
	} {
		if v := at(c.path...); !reflect.DeepEqual(v, c.want) {
			t.Errorf("%v = %#v, want %#v", c.path, v, c.want)
		}
	}
	if !reflect.DeepEqual(st.ttl, map[string]string{"Table": "purgeAt"}) {
		t.Errorf("TTL %v", st.ttl)
	}
	if !slices.Equal(st.functions, []string{"Fn"}) || !slices.Equal(st.required, []string{"Email"}) {
		t.Errorf("functions %v, required parameters %v", st.functions, st.required)
	}
	if want := []string{"Bus", "Fn", "Jobs", "Key", "Named", "Off", "Plain", "Table"}; !slices.Equal(st.exposed, want) {
		t.Errorf("exposed %v, want %v", st.exposed, want)
	}

	_, err = forMoto([]byte(`{"Resources": {"T": {"Type": "AWS::DynamoDB::Table",
  "Properties": {"TimeToLiveSpecification": {"AttributeName": {"Ref": "P"}, "Enabled": true}}}}}`))
	if err == nil {
		t.Error("TTL attribute from a Ref: no error")
	}
}
