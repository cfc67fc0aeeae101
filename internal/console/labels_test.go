package console

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// labelTables parses labels.js: every `export const name = {` table, one
// `key: 'label',` entry a line (comments and blank lines allowed), into
// its keys in order. Any other line in a table is an error, so the shape
// the tests rely on cannot drift.
func labelTables(src string) (map[string][]string, error) {
	start := regexp.MustCompile(`^export const (\w+) = \{$`)
	entry := regexp.MustCompile(`^  (?:'([^']+)'|([A-Za-z_$][\w$]*)): '(?:[^'\\]|\\.)+',$`)
	tables := map[string][]string{}
	name := ""
	for i, line := range strings.Split(src, "\n") {
		switch m := start.FindStringSubmatch(line); {
		case m != nil:
			if name != "" {
				return nil, fmt.Errorf("line %d: table %s starts inside %s", i+1, m[1], name)
			}
			if _, dup := tables[m[1]]; dup {
				return nil, fmt.Errorf("line %d: table %s twice", i+1, m[1])
			}
			name = m[1]
			tables[name] = []string{}
		case name == "":
		case line == "};":
			name = ""
		case strings.TrimSpace(line) == "", strings.HasPrefix(strings.TrimSpace(line), "//"):
		default:
			e := entry.FindStringSubmatch(line)
			if e == nil {
				return nil, fmt.Errorf("line %d of %s is not `  key: 'label',`: %q", i+1, name, line)
			}
			key := e[1] + e[2]
			if slices.Contains(tables[name], key) {
				return nil, fmt.Errorf("line %d: %s labels %q twice", i+1, name, key)
			}
			tables[name] = append(tables[name], key)
		}
	}
	if name != "" {
		return nil, fmt.Errorf("table %s does not end with a line `};`", name)
	}
	return tables, nil
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// jsonFields are the JSON names of a struct's fields.
func jsonFields(v any) []string {
	var out []string
	t := reflect.TypeOf(v)
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}

func memberFields() []string {
	var out []string
	for f := range engine.NumFields {
		out = append(out, f.String())
	}
	return out
}

// parseGo parses the non-test Go files of a package directory.
func parseGo(t *testing.T, dir string) []*ast.File {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	fset := token.NewFileSet()
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

func unquote(t *testing.T, lit ast.Expr) (string, bool) {
	b, ok := lit.(*ast.BasicLit)
	if !ok || b.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(b.Value)
	if err != nil {
		t.Fatal(err)
	}
	return s, true
}

// constantsOf are the values of the string constants a package declares
// with the named type.
func constantsOf(t *testing.T, dir, typeName string) []string {
	t.Helper()
	var out []string
	for _, f := range parseGo(t, dir) {
		ast.Inspect(f, func(n ast.Node) bool {
			spec, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			if id, ok := spec.Type.(*ast.Ident); ok && id.Name == typeName {
				for _, v := range spec.Values {
					if s, ok := unquote(t, v); ok {
						out = append(out, s)
					}
				}
			}
			return false
		})
	}
	return out
}

// apiErrorCodes are the codes the API answers with: every Code of an
// Error the api package builds.
func apiErrorCodes(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, f := range parseGo(t, filepath.Join("..", "api")) {
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if id, ok := lit.Type.(*ast.Ident); !ok || id.Name != "Error" {
				return true
			}
			for _, el := range lit.Elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok && fmt.Sprint(kv.Key) == "Code" {
					if s, ok := unquote(t, kv.Value); ok && !slices.Contains(out, s) {
						out = append(out, s)
					}
				}
			}
			return true
		})
	}
	if len(out) < 10 {
		t.Fatalf("found only the error codes %q in internal/api: has Error moved?", out)
	}
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// Every word the Go side sends has a label, and every label a word: a
// status (or phase, trigger, state, welcome, action, field, count, scope
// comparison, date format) added in Go without a label here fails. The
// key dialog titles only codes the API answers with.
func TestLabelsCoverTheGoVocabularies(t *testing.T) {
	src, err := static.ReadFile("static/labels.js")
	if err != nil {
		t.Fatal(err)
	}
	tables, err := labelTables(string(src))
	if err != nil {
		t.Fatal(err)
	}
	exact := map[string][]string{
		"runStatusLabels":     strs(integration.RunStatuses()),
		"triggerLabels":       strs(integration.Triggers()),
		"phaseLabels":         strs(integration.Phases()),
		"stateLabels":         strs(integration.States()),
		"countLabels":         jsonFields(engine.Counts{}),
		"fieldLabels":         memberFields(),
		"memberStatusLabels":  strs(engine.Statuses()),
		"welcomeLabels":       strs(engine.Welcomes()),
		"welcomeTimingLabels": integration.WelcomeTimings(),
		"logActionLabels":     integration.LogActions(),
		"scopeOpLabels":       strs(engine.ScopeOps()),
		"dateFormatExamples":  engine.DateFormats(),
		"severityLabels":      strs(engine.Severities()),
		"auditActionLabels":   integration.AuditActions(),
		"exportKindLabels":    strs(integration.ExportKinds()),
		"exportStatusLabels":  strs(integration.ExportStatuses()),
		"exportFormatLabels":  strs(integration.ExportFormats()),
	}
	// Titles for some codes only: the others have a title of their own.
	subsets := map[string][]string{"keyErrorTitles": apiErrorCodes(t)}

	for name, keys := range tables {
		if want, ok := exact[name]; ok {
			if !slices.Equal(sorted(keys), sorted(want)) {
				t.Errorf("%s labels %q, Go has %q", name, sorted(keys), sorted(want))
			}
		} else if among, ok := subsets[name]; ok {
			for _, k := range keys {
				if !slices.Contains(among, k) {
					t.Errorf("%s titles %q, which the API never answers (it has %q)", name, k, sorted(among))
				}
			}
		} else {
			t.Errorf("labels.js has a table %s this test does not compare with Go", name)
		}
	}
	for name := range exact {
		if _, ok := tables[name]; !ok {
			t.Errorf("labels.js has no table %s", name)
		}
	}
	for name := range subsets {
		if _, ok := tables[name]; !ok {
			t.Errorf("labels.js has no table %s", name)
		}
	}
}

// The lists the labels are compared with name every constant of their
// type, so a constant added in Go but not to its list fails too.
func TestVocabulariesListEveryConstant(t *testing.T) {
	engineDir, integrationDir := filepath.Join("..", "engine"), filepath.Join("..", "integration")
	tests := []struct {
		dir, typeName string
		list          []string
	}{
		{engineDir, "Status", strs(engine.Statuses())},
		{engineDir, "Welcome", strs(engine.Welcomes())},
		{engineDir, "Kind", strs(engine.Kinds())},
		{engineDir, "ScopeOp", strs(engine.ScopeOps())},
		{engineDir, "Severity", strs(engine.Severities())},
		{integrationDir, "Status", strs(integration.RunStatuses())},
		{integrationDir, "Phase", strs(integration.Phases())},
		{integrationDir, "Trigger", strs(integration.Triggers())},
		{integrationDir, "State", strs(integration.States())},
		{integrationDir, "ExportKind", strs(integration.ExportKinds())},
		{integrationDir, "ExportStatus", strs(integration.ExportStatuses())},
		{integrationDir, "ExportFormat", strs(integration.ExportFormats())},
	}
	for _, tt := range tests {
		got := constantsOf(t, tt.dir, tt.typeName)
		if len(got) == 0 || !slices.Equal(sorted(got), sorted(tt.list)) {
			t.Errorf("%s declares the %s constants %q, its list has %q", tt.dir, tt.typeName, got, tt.list)
		}
	}
}

// Scripts look words up with label(), which falls back to readable text,
// and compare only with error codes the API answers with.
func TestScriptsLookWordsUpSafely(t *testing.T) {
	indexing := regexp.MustCompile(`\b\w+(?:Labels|Titles|Examples)\[`)
	compared := regexp.MustCompile(`\bcode [!=]== '([a-z_]+)'`)
	codes := apiErrorCodes(t)
	n := 0
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		if p != "static/labels.js" {
			for _, m := range indexing.FindAll(b, -1) {
				t.Errorf("%s indexes a label table (%s...]): use label(), which does not answer undefined", p, m)
			}
		}
		for _, m := range compared.FindAllSubmatch(b, -1) {
			n++
			if !slices.Contains(codes, string(m[1])) {
				t.Errorf("%s compares with the error code %q, which the API never answers", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Error("no script compares an error code: has the pattern changed?")
	}
}
