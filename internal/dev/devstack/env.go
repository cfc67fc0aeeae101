package devstack

import (
	"fmt"
	"maps"
)

const typeFunction = "AWS::Serverless::Function"

// FunctionEnv is the environment the function logicalID gets in AWS, as the
// template declares it (Globals.Function.Environment.Variables, then the
// function's own Environment.Variables), with references resolved against
// the local resources: !Ref gives a parameter's Default or a resource's Ref,
// !GetAtt X.Arn its ARN, and !Sub substitutes either. overrides are applied
// last and replace variables without resolving them, which is how a caller
// sets a value the template cannot know locally, such as PEOPLEHR_BASE_URL
// pointing at the sandbox. r is what Provision returned for t.
func FunctionEnv(t *Template, r *Resources, logicalID string, overrides map[string]string) (map[string]string, error) {
	if r == nil {
		return nil, fmt.Errorf("function env: no provisioned resources")
	}
	fn, ok := t.Resources[logicalID]
	if !ok || fn.Type != typeFunction {
		return nil, fmt.Errorf("function env: %s is not an %s in the template", logicalID, typeFunction)
	}
	vars := map[string]any{}
	for _, scope := range []struct {
		what string
		root map[string]any
		path []string
	}{
		{"Globals", t.Globals, []string{"Function", "Environment", "Variables"}},
		{logicalID, fn.Properties, []string{"Environment", "Variables"}},
	} {
		m, err := lookupMapping(scope.root, scope.path)
		if err != nil {
			return nil, fmt.Errorf("function env: %s: %w", scope.what, err)
		}
		maps.Copy(vars, m)
	}
	rv := resolver{t: t, res: r}
	env := make(map[string]string, len(vars)+len(overrides))
	for name, v := range vars {
		if _, ok := overrides[name]; ok {
			continue
		}
		s, err := rv.str(v)
		if err != nil {
			return nil, fmt.Errorf("function env: %s: %s: %w", logicalID, name, err)
		}
		env[name] = s
	}
	maps.Copy(env, overrides)
	return env, nil
}

// lookupMapping follows path through nested mappings; a missing step gives
// nil, a step that is not a mapping an error.
func lookupMapping(m map[string]any, path []string) (map[string]any, error) {
	for i, key := range path {
		v, ok := m[key]
		if !ok || v == nil {
			return nil, nil
		}
		if m, ok = v.(map[string]any); !ok {
			return nil, fmt.Errorf("%v is not a mapping", path[:i+1])
		}
	}
	return m, nil
}
