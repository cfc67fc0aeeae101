package api

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/peoplesync/peoplesync/internal/dev/devstack"
)

// Every route the server has is documented in openapi.json and routed by
// template.yaml, and nothing is documented or routed that it does not have.
func TestRoutesAgreeWithOpenAPIAndTemplate(t *testing.T) {
	var served []string
	for _, rt := range (&Server{}).table() {
		served = append(served, rt.pattern)
	}
	slices.Sort(served)

	var doc struct {
		Paths map[string]map[string]struct {
			Security *[]any `json:"security"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var documented, public []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			route := strings.ToUpper(method) + " " + path
			if op.Security != nil && len(*op.Security) == 0 {
				public = append(public, route) // no token: compared below
				continue
			}
			documented = append(documented, route)
		}
	}
	if !slices.Equal(public, []string{"POST " + hookPath}) {
		t.Errorf("documented without a token: %v, want only the listener", public)
	}
	slices.Sort(documented)
	if !slices.Equal(served, documented) {
		t.Errorf("served:\n%s\ndocumented:\n%s", strings.Join(served, "\n"), strings.Join(documented, "\n"))
	}

	root, err := devstack.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := devstack.LoadTemplate(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var routed []string
	events, _ := tpl.Resources["ApiFunction"].Properties["Events"].(map[string]any)
	for _, ev := range events {
		props, _ := ev.(map[string]any)["Properties"].(map[string]any)
		if auth, _ := props["Auth"].(map[string]any); auth["Authorizer"] == "NONE" {
			continue // public: the OpenAPI document, the console's pages, the listener
		}
		routed = append(routed, props["Method"].(string)+" "+props["Path"].(string))
	}
	slices.Sort(routed)
	if !slices.Equal(served, routed) {
		t.Errorf("served:\n%s\nrouted by template.yaml:\n%s", strings.Join(served, "\n"), strings.Join(routed, "\n"))
	}
}
