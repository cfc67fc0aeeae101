package devstack

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
)

// translateScript turns a SAM template into CloudFormation with
// aws-sam-translator, offline (see the script's doc).
//
//go:embed translate.py
var translateScript []byte

// The resource types Resources answers for, each with the attribute that
// gives its name when Ref gives something else ("" when Ref is the name).
var exposed = map[string]string{
	"AWS::DynamoDB::Table":  "",
	"AWS::S3::Bucket":       "",
	"AWS::KMS::Key":         "", // the key id
	"AWS::SQS::Queue":       "QueueName",
	"AWS::Events::EventBus": "Name",
	"AWS::Lambda::Function": "",
}

// Output keys Provision adds to the stack, followed by a logical id, to
// learn what Ref and Fn::GetAtt give for each resource it exposes.
const (
	outRef  = "DevstackRef"
	outArn  = "DevstackArn"
	outName = "DevstackName"
)

// stackTemplate is a template as moto's CloudFormation is given it, and
// what Provision needs to know of it.
type stackTemplate struct {
	body      string
	exposed   []string          // logical ids with Ref, Arn and Name outputs
	functions []string          // logical ids of the Lambda functions
	ttl       map[string]string // table logical id -> its TTL attribute
	required  []string          // parameters without a Default
}

// stackTemplates holds the stackTemplate of each template a process has
// provisioned, by cacheKey, so a test binary provisioning many stacks
// translates once. Only successes are kept: a translation cut short by its
// caller's context is tried again by the next.
var (
	stackTemplatesMu sync.Mutex
	stackTemplates   = map[string]*stackTemplate{}
)

// forStack returns t ready for moto's CloudFormation: translated by the
// SAM translator, then adjusted where moto differs from AWS (forMoto).
func (t *Template) forStack(ctx context.Context) (*stackTemplate, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	// The pinned translator is part of the key, so upgrading it
	// translates again.
	pins, err := os.ReadFile(filepath.Join(root, "tools", "requirements-sam.txt"))
	if err != nil {
		return nil, fmt.Errorf("translate template: %w", err)
	}
	key := cacheKey(pins, t.source)
	stackTemplatesMu.Lock()
	defer stackTemplatesMu.Unlock()
	if st, ok := stackTemplates[key]; ok {
		return st, nil
	}
	cfn, err := translate(ctx, root, key, t.source)
	if err != nil {
		return nil, err
	}
	st, err := forMoto(cfn)
	if err != nil {
		return nil, err
	}
	stackTemplates[key] = st
	return st, nil
}

// cacheKey names a translation: it changes with the script, the region
// the script is given, and each of parts.
func cacheKey(parts ...[]byte) string {
	h := sha256.New()
	for _, part := range append([][]byte{translateScript, []byte(Region)}, parts...) {
		// Lengths first, so that no two different inputs hash alike.
		fmt.Fprintf(h, "%d:", len(part))
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// translate runs the SAM translator on source, or reads what it gave for
// the same key before: translation takes a second or two, mostly Python
// importing the translator, and every test binary would pay it again.
// The cache is <repo root>/.cache/devstack, git-ignored; deleting it is
// always safe.
func translate(ctx context.Context, root, key string, source []byte) ([]byte, error) {
	dir := filepath.Join(root, ".cache", "devstack")
	cached := filepath.Join(dir, key+".json")
	if out, err := os.ReadFile(cached); err == nil {
		return out, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("translate template: read cache: %w", err)
	}
	python, err := toolPath("SAM_PYTHON", ".venv-sam", "bin", "python")
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, python, "-c", string(translateScript), Region)
	cmd.Stdin = bytes.NewReader(source)
	// Nothing of the developer's AWS configuration may reach boto3: a
	// profile named in the environment but absent would fail the session.
	cmd.Env = []string{"AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull, "PYTHONDONTWRITEBYTECODE=1"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("translate template with %s: %w\n%s", python, err, tail(stderr.String()))
	}
	if err := writeAtomic(dir, cached, out); err != nil {
		return nil, fmt.Errorf("translate template: cache: %w", err)
	}
	return out, nil
}

// writeAtomic writes path through a temporary file renamed into place, so
// test binaries translating at once never read half a file.
func writeAtomic(dir, path string, data []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}

// forMoto adjusts a translated template where moto 5.2.5's CloudFormation
// differs from AWS's, each change saying why, and adds the outputs
// Provision reads.
func forMoto(cfn []byte) (*stackTemplate, error) {
	dec := json.NewDecoder(bytes.NewReader(cfn))
	// Numbers keep their text, so a parameter default of 1209600 stays
	// "1209600" rather than becoming 1.2096e+06.
	dec.UseNumber()
	var tpl map[string]any
	if err := dec.Decode(&tpl); err != nil {
		return nil, fmt.Errorf("read translated template: %w", err)
	}
	st := &stackTemplate{ttl: map[string]string{}}

	params, _ := tpl["Parameters"].(map[string]any)
	for name, p := range params {
		p, _ := p.(map[string]any)
		switch d := p["Default"].(type) {
		case nil:
			st.required = append(st.required, name)
		case json.Number:
			// CloudFormation's parameter values are strings; moto passes a
			// number through, and a function's environment then holds one,
			// which Lambda's API cannot return.
			p["Default"] = d.String()
		case bool:
			p["Default"] = strconv.FormatBool(d)
		}
	}
	slices.Sort(st.required)

	resources, _ := tpl["Resources"].(map[string]any)
	outputs, _ := tpl["Outputs"].(map[string]any)
	if outputs == nil {
		outputs = map[string]any{}
		tpl["Outputs"] = outputs
	}
	var buses []string
	for _, id := range slices.Sorted(maps.Keys(resources)) {
		r, _ := resources[id].(map[string]any)
		typ, _ := r["Type"].(string)
		props, _ := r["Properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
			r["Properties"] = props
		}
		switch typ {
		case "AWS::SQS::Queue":
			// The name AWS gives a FIFO queue ends in ".fifo"; moto gives
			// the name it gives any queue, then refuses it.
			if isTrue(props["FifoQueue"]) && props["QueueName"] == nil {
				props["QueueName"] = map[string]any{"Fn::Sub": "${AWS::StackName}-" + id + ".fifo"}
			}
		case "AWS::KMS::Key":
			// moto keeps a key policy given as an object and then fails
			// DescribeKey, which parses it as the JSON text KMS stores;
			// Fn::ToJsonString (resolved by moto) gives it that text.
			if policy, ok := props["KeyPolicy"].(map[string]any); ok {
				props["KeyPolicy"] = map[string]any{"Fn::ToJsonString": policy}
			}
		case "AWS::Lambda::EventSourceMapping":
			// The local stack polls the queues itself (stack's consumers).
			// moto's mapping would receive each message as it is sent, try
			// to run the function in Docker and count a receive against
			// the redrive policy.
			props["Enabled"] = false
		case "AWS::DynamoDB::Table":
			// moto ignores TimeToLiveSpecification; Provision sets it.
			if spec, _ := props["TimeToLiveSpecification"].(map[string]any); isTrue(spec["Enabled"]) {
				attr, ok := spec["AttributeName"].(string)
				if !ok {
					return nil, fmt.Errorf("table %s: TimeToLiveSpecification.AttributeName is not a plain string", id)
				}
				st.ttl[id] = attr
			}
		case "AWS::Lambda::Function":
			st.functions = append(st.functions, id)
		case "AWS::Events::EventBus":
			buses = append(buses, id)
		}
		nameAttr, ok := exposed[typ]
		if !ok {
			continue
		}
		st.exposed = append(st.exposed, id)
		outputs[outRef+id] = map[string]any{"Value": map[string]any{"Ref": id}}
		outputs[outArn+id] = map[string]any{"Value": map[string]any{"Fn::GetAtt": []any{id, "Arn"}}}
		if nameAttr != "" {
			outputs[outName+id] = map[string]any{"Value": map[string]any{"Fn::GetAtt": []any{id, nameAttr}}}
		}
	}
	// moto's Ref to an event bus gives the Python object rather than its
	// name; Fn::GetAtt Name gives the name, which is what Ref gives in AWS.
	for _, id := range buses {
		tpl = replaceRef(tpl, id, map[string]any{"Fn::GetAtt": []any{id, "Name"}}).(map[string]any)
	}
	body, err := json.Marshal(tpl)
	if err != nil {
		return nil, fmt.Errorf("encode template for moto: %w", err)
	}
	st.body = string(body)
	return st, nil
}

// isTrue reports whether a template value is true, as a boolean or, as
// CloudFormation also takes it, a string.
func isTrue(v any) bool { return v == true || v == "true" }

// replaceRef returns v with every {"Ref": id} replaced by with.
func replaceRef(v any, id string, with any) any {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 1 && v["Ref"] == id {
			return with
		}
		for k, e := range v {
			v[k] = replaceRef(e, id, with)
		}
	case []any:
		for i, e := range v {
			v[i] = replaceRef(e, id, with)
		}
	}
	return v
}
