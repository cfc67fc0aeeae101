package main

import (
	"bytes"
	"os"
	"slices"
	"testing"

	"github.com/peoplesync/peoplesync/internal/dev/devstack"
)

// Each stage of the real template is a template of its own: the table has
// its two first indexes and one more a stage, every attribute it defines
// is a key of the table or of an index (DynamoDB refuses any other), and
// the last stage is the template itself.
func TestEveryStageIsATable(t *testing.T) {
	src, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n <= 4; n++ {
		out, err := stage(src, n)
		if err != nil {
			t.Fatalf("stage %d: %v", n, err)
		}
		tpl, err := devstack.ParseTemplate(out)
		if err != nil {
			t.Fatalf("stage %d does not parse: %v", n, err)
		}
		props := tpl.Resources["Table"].Properties
		gsis, _ := props["GlobalSecondaryIndexes"].([]any)
		if len(gsis) != 2+n {
			t.Errorf("stage %d: %d indexes, want %d", n, len(gsis), 2+n)
		}
		keys := keyNames(props["KeySchema"])
		for _, g := range gsis {
			keys = append(keys, keyNames(g.(map[string]any)["KeySchema"])...)
		}
		var defined []string
		for _, d := range props["AttributeDefinitions"].([]any) {
			defined = append(defined, d.(map[string]any)["AttributeName"].(string))
		}
		for _, d := range defined {
			if !slices.Contains(keys, d) {
				t.Errorf("stage %d defines %s, which no key uses", n, d)
			}
		}
		for _, k := range keys {
			if !slices.Contains(defined, k) {
				t.Errorf("stage %d uses %s as a key without defining it", n, k)
			}
		}
		if n == 4 && !bytes.Equal(out, src) {
			t.Error("the last stage is not the template")
		}
	}
	for _, n := range []int{-1, 5} {
		if _, err := stage(src, n); err == nil {
			t.Errorf("stage %d was not refused", n)
		}
	}
}

func keyNames(schema any) []string {
	var out []string
	for _, k := range schema.([]any) {
		out = append(out, k.(map[string]any)["AttributeName"].(string))
	}
	return out
}
