package devstack

import (
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is a parsed CloudFormation (SAM) template.
//
// Values are trees of string, []any, map[string]any, nil and Intrinsic.
// Every scalar is kept as its string: CloudFormation itself accepts "5" for 5
// and "true" for true, so the code reading a property parses it where it
// needs a number or a boolean.
type Template struct {
	Parameters map[string]Parameter
	// Globals is the template's Globals section (SAM), e.g.
	// Globals["Function"]; nil when there is none.
	Globals   map[string]any
	Resources map[string]Resource
	// source is the template as written: Provision gives it to the SAM
	// translator, not what was parsed from it.
	source []byte
}

// Parameter is a template parameter.
type Parameter struct {
	Type string
	// Default is nil when the parameter has no default.
	Default *string
}

// Resource is a template resource.
type Resource struct {
	Type       string
	Properties map[string]any
}

// Intrinsic is a call to an intrinsic function, whether written in the short
// form (!Ref X) or the long form ({"Ref": "X"}).
type Intrinsic struct {
	// Name is the long-form name: "Ref", "Condition", or "Fn::<Name>".
	Name string
	// Arg is the argument as written, except for Fn::GetAtt, whose argument
	// is always normalised to []any{logicalID, attribute}.
	Arg any
}

// LoadTemplate reads and parses the template at path.
func LoadTemplate(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load template: %w", err)
	}
	t, err := ParseTemplate(data)
	if err != nil {
		return nil, fmt.Errorf("load template %s: %w", path, err)
	}
	return t, nil
}

// ParseTemplate parses a template in YAML (or JSON, which is YAML).
//
// It works on yaml.Node rather than decoding into structs because the short
// forms of intrinsic functions are YAML tags (!Ref, !GetAtt, !Sub...), which
// plain decoding rejects or silently drops.
func ParseTemplate(data []byte) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("parse template: empty document")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse template: line %d: top level is not a mapping", root.Line)
	}
	t := &Template{
		Parameters: map[string]Parameter{},
		Resources:  map[string]Resource{},
		source:     data,
	}
	for i := 0; i < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		var err error
		switch key.Value {
		case "Parameters":
			err = t.parseParameters(val)
		case "Globals":
			t.Globals, err = convertMapping(val, "Globals")
		case "Resources":
			err = t.parseResources(val)
		}
		if err != nil {
			return nil, fmt.Errorf("parse template: %w", err)
		}
	}
	return t, nil
}

func (t *Template) parseParameters(n *yaml.Node) error {
	params, err := convertMapping(n, "Parameters")
	if err != nil {
		return err
	}
	for name, v := range params {
		def, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("parameter %s: not a mapping", name)
		}
		var p Parameter
		p.Type, _ = def["Type"].(string)
		if d, ok := def["Default"]; ok {
			s, ok := d.(string)
			if !ok {
				// CloudFormation defaults are strings, lists included
				// ("a,b" for a CommaDelimitedList).
				return fmt.Errorf("parameter %s: Default is not a scalar", name)
			}
			p.Default = &s
		}
		t.Parameters[name] = p
	}
	return nil
}

func (t *Template) parseResources(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: Resources is not a mapping", n.Line)
	}
	resources, err := convertMapping(n, "Resources")
	if err != nil {
		return err
	}
	for i := 0; i < len(n.Content); i += 2 {
		id := n.Content[i].Value
		def, ok := resources[id].(map[string]any)
		if !ok {
			return fmt.Errorf("line %d: resource %s is not a mapping", n.Content[i].Line, id)
		}
		var r Resource
		if r.Type, ok = def["Type"].(string); !ok {
			return fmt.Errorf("line %d: resource %s has no Type", n.Content[i].Line, id)
		}
		if p, ok := def["Properties"]; ok && p != nil {
			if r.Properties, ok = p.(map[string]any); !ok {
				return fmt.Errorf("line %d: resource %s: Properties is not a mapping", n.Content[i].Line, id)
			}
		}
		t.Resources[id] = r
	}
	return nil
}

// convertMapping converts a node that must be a mapping.
func convertMapping(n *yaml.Node, what string) (map[string]any, error) {
	v, err := convert(n)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("line %d: %s is not a mapping", n.Line, what)
	}
	return m, nil
}

// convert turns a node into a value tree (see Template).
func convert(n *yaml.Node) (any, error) {
	if n.Kind == yaml.AliasNode {
		return convert(n.Alias)
	}
	if name, ok := shortFormName(n.Tag); ok {
		untagged := *n
		untagged.Tag = ""
		arg, err := convert(&untagged)
		if err != nil {
			return nil, err
		}
		return newIntrinsic(name, arg, n.Line)
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return nil, nil
		}
		return n.Value, nil
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := convert(c)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: mapping key is not a scalar", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
			}
			v, err := convert(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		if len(m) == 1 {
			for k, v := range m {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return newIntrinsic(k, v, n.Line)
				}
			}
		}
		return m, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node kind %d", n.Line, n.Kind)
}

// shortFormName maps a local YAML tag such as !GetAtt to the function's long
// name, Fn::GetAtt. YAML's own tags (!!str, ...) are not intrinsics.
func shortFormName(tag string) (string, bool) {
	if !strings.HasPrefix(tag, "!") || strings.HasPrefix(tag, "!!") || len(tag) < 2 {
		return "", false
	}
	switch name := tag[1:]; name {
	case "Ref", "Condition":
		return name, true
	default:
		return "Fn::" + name, true
	}
}

func newIntrinsic(name string, arg any, line int) (Intrinsic, error) {
	switch name {
	case "Ref":
		if _, ok := arg.(string); !ok {
			return Intrinsic{}, fmt.Errorf("line %d: Ref takes a name", line)
		}
	case "Fn::GetAtt":
		// !GetAtt Res.Attr splits at the first dot only: attribute names
		// may hold dots themselves (Endpoint.Address).
		switch a := arg.(type) {
		case string:
			id, attr, ok := strings.Cut(a, ".")
			if !ok {
				return Intrinsic{}, fmt.Errorf("line %d: Fn::GetAtt %q is not Resource.Attribute", line, a)
			}
			arg = []any{id, attr}
		case []any:
			if len(a) != 2 {
				return Intrinsic{}, fmt.Errorf("line %d: Fn::GetAtt takes [Resource, Attribute]", line)
			}
		default:
			return Intrinsic{}, fmt.Errorf("line %d: Fn::GetAtt takes Resource.Attribute or [Resource, Attribute]", line)
		}
	}
	return Intrinsic{Name: name, Arg: arg}, nil
}
