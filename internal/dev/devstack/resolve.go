package devstack

import (
	"fmt"
	"strings"
)

// resolver evaluates the intrinsic functions a local stack can answer: Ref,
// Fn::GetAtt and Fn::Sub, against the template's parameter defaults, a few
// pseudo parameters, and the resources provisioned so far.
type resolver struct {
	t   *Template
	res *Resources
}

// resolve returns v with every intrinsic replaced by its string value.
func (rv resolver) resolve(v any) (any, error) {
	switch v := v.(type) {
	case Intrinsic:
		return rv.call(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			r, err := rv.resolve(e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			r, err := rv.resolve(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = r
		}
		return out, nil
	default:
		return v, nil
	}
}

// str resolves v, which must come out as a string.
func (rv resolver) str(v any) (string, error) {
	r, err := rv.resolve(v)
	if err != nil {
		return "", err
	}
	s, ok := r.(string)
	if !ok {
		return "", fmt.Errorf("got %T, want a string", r)
	}
	return s, nil
}

func (rv resolver) call(fn Intrinsic) (string, error) {
	switch fn.Name {
	case "Ref":
		return rv.ref(fn.Arg.(string)) // newIntrinsic checked the type
	case "Fn::GetAtt":
		args := fn.Arg.([]any) // newIntrinsic made it a pair
		id, err := rv.str(args[0])
		if err != nil {
			return "", fmt.Errorf("Fn::GetAtt resource: %w", err)
		}
		attr, err := rv.str(args[1])
		if err != nil {
			return "", fmt.Errorf("Fn::GetAtt attribute: %w", err)
		}
		return rv.getAtt(id, attr)
	case "Fn::Sub":
		return rv.sub(fn.Arg)
	default:
		return "", fmt.Errorf("%s is not supported locally", fn.Name)
	}
}

func (rv resolver) ref(name string) (string, error) {
	switch name {
	case "AWS::Region":
		return rv.res.region, nil
	case "AWS::AccountId":
		return AccountID, nil
	case "AWS::Partition":
		return "aws", nil
	}
	if p, ok := rv.t.Parameters[name]; ok {
		if p.Default == nil {
			return "", fmt.Errorf("Ref %s: parameter has no Default", name)
		}
		return *p.Default, nil
	}
	r, err := rv.resource(name)
	if err != nil {
		return "", fmt.Errorf("Ref %s: %w", name, err)
	}
	return r.ref, nil
}

func (rv resolver) getAtt(id, attr string) (string, error) {
	r, err := rv.resource(id)
	if err != nil {
		return "", fmt.Errorf("Fn::GetAtt %s.%s: %w", id, attr, err)
	}
	v, ok := r.attrs[attr]
	if !ok {
		return "", fmt.Errorf("Fn::GetAtt %s.%s: attribute not available locally", id, attr)
	}
	return v, nil
}

func (rv resolver) resource(id string) (created, error) {
	if r, ok := rv.res.byID[id]; ok {
		return r, nil
	}
	if r, ok := rv.t.Resources[id]; ok {
		return created{}, fmt.Errorf("resource %s (%s) is not provisioned locally", id, r.Type)
	}
	return created{}, fmt.Errorf("no parameter or resource %s in the template", id)
}

// sub evaluates Fn::Sub: "text ${Name} ${Res.Attr} ${!Literal}" or
// [text, {Name: value}].
func (rv resolver) sub(arg any) (string, error) {
	text, vars, err := subArgs(arg)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	err = scanSub(text, func(lit, name string) error {
		b.WriteString(lit)
		if name == "" {
			return nil
		}
		var v string
		var err error
		if val, ok := vars[name]; ok {
			v, err = rv.str(val)
		} else if id, attr, ok := strings.Cut(name, "."); ok {
			v, err = rv.getAtt(id, attr)
		} else {
			v, err = rv.ref(name)
		}
		if err != nil {
			return fmt.Errorf("Fn::Sub ${%s}: %w", name, err)
		}
		b.WriteString(v)
		return nil
	})
	return b.String(), err
}

// subArgs splits Fn::Sub's argument into its text and variable map.
func subArgs(arg any) (string, map[string]any, error) {
	switch a := arg.(type) {
	case string:
		return a, nil, nil
	case []any:
		if len(a) == 2 {
			text, ok1 := a[0].(string)
			vars, ok2 := a[1].(map[string]any)
			if ok1 && ok2 {
				return text, vars, nil
			}
		}
	}
	return "", nil, fmt.Errorf("Fn::Sub takes a string or [string, {variables}]")
}

// scanSub calls fn for each literal run of text and the ${name} following it
// ("" after the last run). ${!x} is the literal "${x}".
func scanSub(text string, fn func(lit, name string) error) error {
	var lit strings.Builder
	for {
		i := strings.Index(text, "${")
		if i < 0 {
			lit.WriteString(text)
			return fn(lit.String(), "")
		}
		lit.WriteString(text[:i])
		end := strings.IndexByte(text[i:], '}')
		if end < 0 {
			return fmt.Errorf("Fn::Sub: unterminated ${ in %q", text)
		}
		name := text[i+2 : i+end]
		text = text[i+end+1:]
		if strings.HasPrefix(name, "!") {
			lit.WriteString("${" + name[1:] + "}")
			continue
		}
		if err := fn(lit.String(), name); err != nil {
			return err
		}
		lit.Reset()
	}
}

// references lists the names v refers to through Ref, Fn::GetAtt and
// Fn::Sub, in no particular order and possibly repeated; Provision uses it
// to create a resource's dependencies first.
func references(v any) []string {
	var ids []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case Intrinsic:
			switch v.Name {
			case "Ref":
				ids = append(ids, v.Arg.(string))
				return
			case "Fn::GetAtt":
				if id, ok := v.Arg.([]any)[0].(string); ok {
					ids = append(ids, id)
				}
				return
			case "Fn::Sub":
				if text, vars, err := subArgs(v.Arg); err == nil {
					_ = scanSub(text, func(_, name string) error {
						if _, ok := vars[name]; !ok && name != "" {
							id, _, _ := strings.Cut(name, ".")
							ids = append(ids, id)
						}
						return nil
					})
					walk(vars)
					return
				}
			}
			walk(v.Arg)
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return ids
}
