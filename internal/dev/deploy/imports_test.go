package deploy

import (
	"os/exec"
	"strings"
	"testing"
)

// What ships never links what only helps develop it: no function depends,
// even indirectly, on a package under internal/dev (emulators, sandbox,
// local issuer, bench), so the tree's split between the two is real.
func TestFunctionsDoNotImportDevTooling(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "./functions/...")
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("only %d dependencies listed: the functions were not found", len(deps))
	}
	for _, dep := range deps {
		if strings.Contains(dep, "/internal/dev/") || strings.HasSuffix(dep, "/internal/dev") {
			t.Errorf("a function depends on %s", dep)
		}
	}
}
