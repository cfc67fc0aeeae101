package devstack

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// localParameters are what a deployer would pass for the template's
// parameters without a Default. Nothing local reads them: moto does not
// create the alarm topic's email subscription.
var localParameters = map[string]string{
	"AlarmEmail": "alarms@peoplesync.invalid",
}

// stackCreateTimeout bounds the wait for a stack; moto creates the whole
// template in well under a second once its CloudFormation is loaded.
const stackCreateTimeout = time.Minute

// Resources are the resources of a provisioned stack, by logical id.
type Resources struct {
	byID map[string]created
	env  map[string]map[string]string // function logical id -> environment
}

// created is one resource of the stack.
type created struct {
	name string // table, bucket, queue, bus or function name; key id
	ref  string // what Ref gives: the name, or a queue's URL
	arn  string // what Fn::GetAtt Arn gives
}

// Ref is what !Ref logicalID gives: the table, bucket, bus or function
// name, the queue URL, the key id. It panics if the stack has no such
// resource: logical ids are constants in the calling code, so that is a
// bug.
func (r *Resources) Ref(logicalID string) string { return r.get(logicalID).ref }

// Name is the resource's name: the table, bucket, queue, bus or function
// name, or the key id. It panics if the stack has no such resource.
func (r *Resources) Name(logicalID string) string { return r.get(logicalID).name }

// Arn is what !GetAtt logicalID.Arn gives. It panics if the stack has no
// such resource.
func (r *Resources) Arn(logicalID string) string { return r.get(logicalID).arn }

func (r *Resources) get(logicalID string) created {
	c, ok := r.byID[logicalID]
	if !ok {
		panic(fmt.Sprintf("devstack: the stack has no table, bucket, key, queue, bus or function %q", logicalID))
	}
	return c
}

// stackNames are the stack names CloudFormation takes.
var stackNames = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)

// Provision creates t as a CloudFormation stack in the emulator at
// cfg.BaseEndpoint: the SAM translator turns t into CloudFormation, and
// moto's CloudFormation creates it, as AWS would. The stack is named
// prefix without its trailing "-", so every name CloudFormation gives
// starts with prefix+LogicalId (then a random suffix, as in AWS; FIFO
// queues end in ".fifo"), and stacks with different prefixes share one
// emulator. A prefix whose stack exists already fails: use a fresh one, or
// Moto.Reset, to provision again.
//
// What moto's CloudFormation skips and the local stack relies on is done
// here: the tables' TTL attribute. Resource types moto does not know (the
// HTTP API, alarms, metric filters, the bucket policy) are left out with a
// warning in moto's log.
func Provision(ctx context.Context, cfg aws.Config, t *Template, prefix string) (*Resources, error) {
	stack := strings.TrimSuffix(prefix, "-")
	if !stackNames.MatchString(stack) {
		return nil, fmt.Errorf("provision: prefix %q: want a letter, then letters, digits and hyphens", prefix)
	}
	st, err := t.forStack(ctx)
	if err != nil {
		return nil, fmt.Errorf("provision %s: %w", stack, err)
	}
	c := NewClients(cfg)
	outputs, err := createStack(ctx, c.CloudFormation, stack, st)
	if err != nil {
		return nil, fmt.Errorf("provision %s: %w", stack, err)
	}
	res := &Resources{byID: map[string]created{}, env: map[string]map[string]string{}}
	for _, id := range st.exposed {
		r := created{ref: outputs[outRef+id], arn: outputs[outArn+id], name: outputs[outName+id]}
		if r.name == "" {
			r.name = r.ref
		}
		res.byID[id] = r
	}
	for id, attr := range st.ttl {
		_, err := c.DynamoDB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName: aws.String(res.Ref(id)),
			TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{
				AttributeName: aws.String(attr),
				Enabled:       aws.Bool(true),
			},
		})
		if err != nil {
			return nil, fmt.Errorf("provision %s: enable TTL on %s: %w", stack, id, err)
		}
	}
	for _, id := range st.functions {
		out, err := c.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(res.Ref(id))})
		if err != nil {
			return nil, fmt.Errorf("provision %s: read the environment of %s: %w", stack, id, err)
		}
		env := map[string]string{}
		if out.Environment != nil {
			env = out.Environment.Variables
		}
		res.env[id] = env
	}
	return res, nil
}

// createStack creates the stack, waits until it is complete and returns
// its outputs.
func createStack(ctx context.Context, c *cloudformation.Client, stack string, st *stackTemplate) (map[string]string, error) {
	var params []cfntypes.Parameter
	for _, name := range st.required {
		v, ok := localParameters[name]
		if !ok {
			return nil, fmt.Errorf("parameter %s has no Default and no local value", name)
		}
		params = append(params, cfntypes.Parameter{ParameterKey: aws.String(name), ParameterValue: aws.String(v)})
	}
	_, err := c.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:    aws.String(stack),
		TemplateBody: aws.String(st.body),
		Parameters:   params,
		// The functions' roles, as `sam deploy` is told.
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam},
	})
	if err != nil {
		return nil, fmt.Errorf("create stack: %w", err)
	}
	waiter := cloudformation.NewStackCreateCompleteWaiter(c, func(o *cloudformation.StackCreateCompleteWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond
		o.MaxDelay = time.Second
	})
	out, err := waiter.WaitForOutput(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)}, stackCreateTimeout)
	if err != nil {
		return nil, fmt.Errorf("wait for stack: %w", errors.Join(err, stackFailure(ctx, c, stack)))
	}
	outputs := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return outputs, nil
}

// stackFailure says why the stack is not complete, for the error of a
// failed wait.
func stackFailure(ctx context.Context, c *cloudformation.Client, stack string) error {
	out, err := c.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		return err
	}
	s := out.Stacks[0]
	return fmt.Errorf("stack %s is %s: %s", stack, s.StackStatus, aws.ToString(s.StackStatusReason))
}
