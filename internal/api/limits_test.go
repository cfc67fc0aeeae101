package api

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// The OpenAPI document states the settings' limits and vocabularies as the
// one check of them (integration.Settings.Validate) has them: a format, a
// limit or an option added in Go and not here (or the other way) fails.
func TestOpenAPISettingsAgreeWithValidate(t *testing.T) {
	type prop struct {
		Enum     []string `json:"enum"`
		Minimum  *int     `json:"minimum"`
		Maximum  *int     `json:"maximum"`
		MaxItems *int     `json:"maxItems"`
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]prop `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	settings := doc.Components.Schemas["Settings"].Properties
	scope := doc.Components.Schemas["ScopeRule"].Properties
	intIs := func(name string, got *int, want int) {
		t.Helper()
		if got == nil || *got != want {
			t.Errorf("%s = %v, want %d", name, got, want)
		}
	}
	if got := settings["dateFormat"].Enum; !slices.Equal(got, engine.DateFormats()) {
		t.Errorf("dateFormat enum %v, want %v", got, engine.DateFormats())
	}
	if got := settings["welcomeTiming"].Enum; !slices.Equal(got, integration.WelcomeTimings()) {
		t.Errorf("welcomeTiming enum %v, want %v", got, integration.WelcomeTimings())
	}
	intIs("massChangeThresholdPercent.minimum", settings["massChangeThresholdPercent"].Minimum, engine.MinMassChangePct)
	intIs("massChangeThresholdPercent.maximum", settings["massChangeThresholdPercent"].Maximum, engine.MaxMassChangePct)
	intIs("summaryRecipients.maxItems", settings["summaryRecipients"].MaxItems, integration.MaxSummaryRecipients)
	intIs("scope.maxItems", settings["scope"].MaxItems, engine.MaxScopeRules)
	intIs("ScopeRule.values.maxItems", scope["values"].MaxItems, engine.MaxScopeValues)
	var ops []string
	for _, op := range []engine.ScopeOp{engine.ScopeEquals, engine.ScopeNotEquals, engine.ScopeIn, engine.ScopeNotIn} {
		ops = append(ops, string(op))
	}
	if got := scope["op"].Enum; !slices.Equal(got, ops) {
		t.Errorf("ScopeRule.op enum %v, want %v", got, ops)
	}
}
