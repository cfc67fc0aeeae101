package engine

import (
	"fmt"
	"slices"
	"strings"
)

// ScopeRule excludes the records whose source field matches it: an
// employee the benefits programme does not cover (contractors, a site).
type ScopeRule struct {
	Source string   `json:"source"`
	Op     ScopeOp  `json:"op"`
	Values []string `json:"values"`
}

// ScopeOp compares a record's value with a rule's values, ignoring case
// and surrounding space.
type ScopeOp string

const (
	ScopeEquals    ScopeOp = "equals"     // excluded if the value is Values[0]
	ScopeNotEquals ScopeOp = "not_equals" // excluded unless the value is Values[0]
	ScopeIn        ScopeOp = "in"         // excluded if the value is one of Values
	ScopeNotIn     ScopeOp = "not_in"     // excluded unless the value is one of Values
)

// Limits that keep scope rules readable and cheap per record.
const (
	MaxScopeRules  = 20
	MaxScopeValues = 50
	maxScopeValue  = 200
)

// ValidateScope checks rules, naming each problem's field as the API shows
// it (scope[i].source, ...).
func ValidateScope(rules []ScopeRule) []FieldProblem {
	var out []FieldProblem
	add := func(field, msg string) { out = append(out, FieldProblem{Field: field, Message: msg}) }
	if len(rules) > MaxScopeRules {
		add("scope", fmt.Sprintf("at most %d rules", MaxScopeRules))
	}
	for i, r := range rules {
		at := fmt.Sprintf("scope[%d]", i)
		if !ValidSource(r.Source) {
			add(at+".source", "must be a PeopleHR field that can be mapped")
		}
		switch r.Op {
		case ScopeEquals, ScopeNotEquals:
			if len(r.Values) != 1 {
				add(at+".values", "takes exactly one value")
			}
		case ScopeIn, ScopeNotIn:
			if len(r.Values) < 1 || len(r.Values) > MaxScopeValues {
				add(at+".values", fmt.Sprintf("takes 1 to %d values", MaxScopeValues))
			}
		default:
			add(at+".op", "must be equals, not_equals, in or not_in")
		}
		for j, v := range r.Values {
			if runeLen(v) > maxScopeValue || strings.ContainsFunc(v, unwanted) {
				add(fmt.Sprintf("%s.values[%d]", at, j), fmt.Sprintf("at most %d characters, no control characters", maxScopeValue))
			}
		}
	}
	return out
}

// excludes reports whether the rule takes rec out of scope.
func (r ScopeRule) excludes(rec Record) bool {
	v := strings.ToLower(clean(rec[r.Source]))
	matches := slices.ContainsFunc(r.Values, func(x string) bool { return strings.ToLower(strings.TrimSpace(x)) == v })
	switch r.Op {
	case ScopeEquals, ScopeIn:
		return matches
	case ScopeNotEquals, ScopeNotIn:
		return !matches
	}
	return false
}

// outOfScope reports whether any rule excludes rec.
func outOfScope(rules []ScopeRule, rec Record) bool {
	return slices.ContainsFunc(rules, func(r ScopeRule) bool { return r.excludes(rec) })
}
