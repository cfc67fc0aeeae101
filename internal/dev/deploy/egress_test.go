package deploy

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/peoplesync/peoplesync/internal/dev/devstack"
)

// egressFunctions are the functions that call PeopleHR, so the ones a key
// restricted to an address must see coming from the Elastic IP.
var egressFunctions = []string{"ApiFunction", "WorkerFunction"}

// isNoValue reports whether v is !Ref AWS::NoValue.
func isNoValue(v any) bool {
	in, ok := v.(devstack.Intrinsic)
	return ok && in.Name == "Ref" && in.Arg == "AWS::NoValue"
}

// onlyIf returns the value of !If [FixedEgressOn, value, !Ref AWS::NoValue],
// or an error saying how v differs from that.
func onlyIf(v any) (any, error) {
	in, ok := v.(devstack.Intrinsic)
	if !ok || in.Name != "Fn::If" {
		return nil, fmt.Errorf("%v is not an !If", v)
	}
	args, _ := in.Arg.([]any)
	if len(args) != 3 || args[0] != "FixedEgressOn" || !isNoValue(args[2]) {
		return nil, fmt.Errorf("%v is not !If [FixedEgressOn, ..., !Ref AWS::NoValue]", args)
	}
	return args[1], nil
}

// FixedEgress "false" (the default) creates nothing of the network and
// leaves every function where it is today; "true" puts the API and the
// worker in private subnets whose only way out is the NAT with the Elastic
// IP in the outputs, with gateway endpoints for DynamoDB and S3. cfn-lint
// (make lint-template) checks the conditions resolve both ways; this checks
// they are wired to the right things.
func TestFixedEgressWiring(t *testing.T) {
	tpl := loadTemplate(t)
	raw := loadRaw(t)
	p := func(id string, path ...string) any { return prop(tpl.Resources[id].Properties, path...) }

	param, ok := tpl.Parameters["FixedEgress"]
	if !ok || param.Default == nil || *param.Default != "false" {
		t.Fatalf("FixedEgress: %+v, want a parameter defaulting to false", param)
	}
	cond := raw.Conditions["FixedEgressOn"]
	if text, _ := yaml.Marshal(&cond); !strings.Contains(string(text), "!Equals [!Ref FixedEgress, \"true\"]") {
		t.Fatal("no FixedEgressOn condition on FixedEgress")
	}

	// Every network resource exists only with the condition.
	network := map[string][]string{}
	for id, r := range tpl.Resources {
		if strings.HasPrefix(r.Type, "AWS::EC2::") {
			network[r.Type] = append(network[r.Type], id)
			if c := raw.Resources[id].Condition; c != "FixedEgressOn" {
				t.Errorf("%s (%s): condition %q, want FixedEgressOn", id, r.Type, c)
			}
		}
	}
	for typ, n := range map[string]int{"AWS::EC2::VPC": 1, "AWS::EC2::NatGateway": 1, "AWS::EC2::EIP": 1, "AWS::EC2::VPCEndpoint": 2} {
		if len(network[typ]) != n {
			t.Errorf("%d %s, want %d", len(network[typ]), typ, n)
		}
	}
	eip, nat := network["AWS::EC2::EIP"], network["AWS::EC2::NatGateway"]
	if len(eip) == 1 && len(nat) == 1 && target(p(nat[0], "AllocationId")) != eip[0] {
		t.Errorf("%s does not use %s", nat[0], eip[0])
	}
	var endpoints []string
	for _, id := range network["AWS::EC2::VPCEndpoint"] {
		if p(id, "VpcEndpointType") != "Gateway" {
			t.Errorf("%s: %v, want a (free) gateway endpoint", id, p(id, "VpcEndpointType"))
		}
		sub, _ := p(id, "ServiceName").(devstack.Intrinsic)
		s, _ := sub.Arg.(string)
		endpoints = append(endpoints, s[strings.LastIndex(s, ".")+1:])
	}
	if slices.Sort(endpoints); !slices.Equal(endpoints, []string{"dynamodb", "s3"}) {
		t.Errorf("gateway endpoints for %v, want dynamodb and s3", endpoints)
	}

	// The egress functions sit in subnets whose default route is the NAT;
	// the others have no VpcConfig at all.
	natRoutes := map[string]bool{} // route table -> its default route is the NAT
	for _, id := range network["AWS::EC2::Route"] {
		if len(nat) == 1 && target(p(id, "NatGatewayId")) == nat[0] && p(id, "DestinationCidrBlock") == "0.0.0.0/0" {
			natRoutes[target(p(id, "RouteTableId"))] = true
		}
	}
	behindNAT := map[string]bool{}
	for _, id := range network["AWS::EC2::SubnetRouteTableAssociation"] {
		if natRoutes[target(p(id, "RouteTableId"))] {
			behindNAT[target(p(id, "SubnetId"))] = true
		}
	}
	for _, id := range resourcesOfType(tpl, typeFunction) {
		vpc, hasVPC := tpl.Resources[id].Properties["VpcConfig"]
		if !slices.Contains(egressFunctions, id) {
			if hasVPC {
				t.Errorf("%s: has a VpcConfig, but it never calls PeopleHR", id)
			}
			continue
		}
		cfg, err := onlyIf(vpc)
		if err != nil {
			t.Errorf("%s: VpcConfig: %v", id, err)
			continue
		}
		subnets, _ := prop(cfg, "SubnetIds").([]any)
		if len(subnets) < 2 {
			t.Errorf("%s: %d subnets, want two zones", id, len(subnets))
		}
		for _, s := range subnets {
			if !behindNAT[target(s)] {
				t.Errorf("%s: subnet %v does not route out through the NAT", id, s)
			}
		}
		if sg, _ := prop(cfg, "SecurityGroupIds").([]any); len(sg) != 1 || tpl.Resources[target(sg[0])].Type != "AWS::EC2::SecurityGroup" {
			t.Errorf("%s: security groups %v", id, sg)
		}
		// The network permissions come and go with the VpcConfig.
		conditional := 0
		policies, _ := tpl.Resources[target(p(id, "Role"))].Properties["Policies"].([]any)
		for _, pol := range policies {
			stmts, _ := prop(pol, "PolicyDocument", "Statement").([]any)
			for _, st := range stmts {
				if _, ok := st.(devstack.Intrinsic); !ok {
					continue
				}
				conditional++
				if st, err := onlyIf(st); err != nil {
					t.Errorf("%s's role: %v", id, err)
				} else if acts := stringList(prop(st, "Action")); !slices.Equal(acts, lambdaVPCActions) {
					t.Errorf("%s's role: conditional actions %v, want %v", id, acts, lambdaVPCActions)
				}
			}
		}
		if conditional != 1 {
			t.Errorf("%s's role: %d conditional statements, want the network one", id, conditional)
		}
	}

	// The address is published, and only when it exists.
	out, ok := raw.Outputs["EgressIp"]
	if !ok {
		t.Fatal("no EgressIp output")
	}
	var o struct {
		Condition string `yaml:"Condition"`
	}
	if err := out.Decode(&o); err != nil || o.Condition != "FixedEgressOn" {
		t.Errorf("EgressIp output: condition %q (%v), want FixedEgressOn", o.Condition, err)
	}
	if text, _ := yaml.Marshal(&out); !strings.Contains(string(text), "Value: !Ref "+eip[0]) {
		t.Errorf("EgressIp output does not name %s", eip[0])
	}
	// And the API, whose setup help shows it, gets it (empty without).
	in, _ := p("ApiFunction", "Environment", "Variables", "EGRESS_IP").(devstack.Intrinsic)
	if args, _ := in.Arg.([]any); in.Name != "Fn::If" || len(args) != 3 || args[0] != "FixedEgressOn" ||
		target(args[1]) != eip[0] || args[2] != "" {
		t.Errorf("ApiFunction's EGRESS_IP is %+v, want !If [FixedEgressOn, !Ref %s, \"\"]", in, eip[0])
	}
}
