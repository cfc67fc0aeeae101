package platform

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/peoplesync/peoplesync/internal/dev/devstack"
)

// Every route the platform serves is documented in openapi.json with its
// scope and routed by template.yaml behind the platform authorizer with the
// same scope, and nothing else is; the document itself is public.
func TestRoutesAgreeWithOpenAPIAndTemplate(t *testing.T) {
	var served []string
	for _, rt := range (&Server{}).routes() {
		served = append(served, rt.pattern+" "+rt.scope)
	}
	slices.Sort(served)

	var doc struct {
		Paths map[string]map[string]struct {
			Security []map[string][]string `json:"security"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			var scopes []string
			for _, s := range op.Security {
				scopes = append(scopes, s["platformToken"]...)
			}
			documented = append(documented, strings.ToUpper(method)+" "+path+" "+strings.Join(scopes, ","))
		}
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
	public := false
	events, _ := tpl.Resources["PlatformFunction"].Properties["Events"].(map[string]any)
	for _, ev := range events {
		props, _ := ev.(map[string]any)["Properties"].(map[string]any)
		route := fmt.Sprint(props["Method"], " ", props["Path"])
		auth, _ := props["Auth"].(map[string]any)
		if auth["Authorizer"] == "NONE" {
			public = public || route == "GET /platform/openapi.json"
			continue
		}
		if auth["Authorizer"] != "PlatformJWT" {
			t.Errorf("%s is behind %v, want PlatformJWT", route, auth["Authorizer"])
		}
		scopes, _ := auth["AuthorizationScopes"].([]any)
		routed = append(routed, route+" "+strings.Trim(fmt.Sprint(scopes), "[]"))
	}
	slices.Sort(routed)
	if !slices.Equal(served, routed) {
		t.Errorf("served:\n%s\nrouted by template.yaml:\n%s", strings.Join(served, "\n"), strings.Join(routed, "\n"))
	}
	if !public {
		t.Error("template.yaml does not serve GET /platform/openapi.json without a token")
	}
}
