package devstack

import (
	"fmt"
	"maps"
)

const typeFunction = "AWS::Serverless::Function"

// FunctionEnv is the environment the function logicalID of t gets in AWS:
// the template's (Globals, then the function's own) as the SAM translator
// merges it and CloudFormation resolves it, read back from the function
// moto created. overrides are applied last, which is how a caller sets a
// value the template cannot know locally, such as PEOPLEHR_BASE_URL
// pointing at the sandbox. r is what Provision returned for t.
func FunctionEnv(t *Template, r *Resources, logicalID string, overrides map[string]string) (map[string]string, error) {
	if r == nil {
		return nil, fmt.Errorf("function env: no provisioned resources")
	}
	if fn, ok := t.Resources[logicalID]; !ok || fn.Type != typeFunction {
		return nil, fmt.Errorf("function env: %s is not an %s in the template", logicalID, typeFunction)
	}
	env, ok := r.env[logicalID]
	if !ok {
		return nil, fmt.Errorf("function env: the stack has no function %s", logicalID)
	}
	env = maps.Clone(env)
	maps.Copy(env, overrides)
	return env, nil
}
