package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

type mappingBody struct {
	UniqueKey string            `json:"uniqueKey"`
	Fields    map[string]string `json:"fields"`
}

func (s *Server) putMapping(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var body mappingBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	m := engine.Mapping{UniqueKey: strings.TrimSpace(body.UniqueKey), Fields: map[string]string{}}
	for target, src := range body.Fields {
		if src = strings.TrimSpace(src); src != "" {
			m.Fields[target] = src
		}
	}
	if err := m.Validate(); err != nil {
		var me *engine.MappingError
		if errors.As(err, &me) {
			details := make([]FieldProblem, len(me.Problems))
			for i, pr := range me.Problems {
				details[i] = FieldProblem(pr)
			}
			return invalid("The mapping cannot be used.", details...)
		}
		return err
	}
	in, err := s.update(r, p, func(in *integration.Integration) error {
		in.Mapping = m
		return nil
	})
	if err != nil {
		return err
	}
	return s.writeIntegration(w, r, in)
}

// fieldsSample bounds how many employees field discovery reads: the fields
// and a few examples show long before a large directory ends.
const fieldsSample = 200

// examplesPerField and exampleLen keep the examples a glimpse, not a dump.
const (
	examplesPerField = 3
	exampleLen       = 40
)

var errSampled = errors.New("sampled enough")

type sourceField struct {
	Path     string   `json:"path"`
	Examples []string `json:"examples"`
}

type targetField struct {
	Name      string `json:"name"`
	Mandatory bool   `json:"mandatory"`
	MaxLength int    `json:"maxLength"`
	Date      bool   `json:"date"`
}

func (s *Server) fields(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	in, err := s.loadIntegration(r.Context(), p)
	if err != nil {
		return err
	}
	key, err := s.openKey(r.Context(), in)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), authorizeTimeout)
	defer cancel()
	examples := map[string][]string{}
	_, err = s.feed.FetchAll(ctx, key, func() func(map[string]string) error {
		clear(examples)
		seen := 0
		return func(rec map[string]string) error {
			for path, v := range rec {
				v = strings.TrimSpace(v)
				if !engine.ValidSource(path) {
					continue
				}
				ex := examples[path]
				if v != "" && len(ex) < examplesPerField && !slices.Contains(ex, v) {
					ex = append(ex, cut(v, exampleLen))
				}
				examples[path] = ex
			}
			if seen++; seen >= fieldsSample {
				return errSampled
			}
			return nil
		}
	})
	if err != nil && !errors.Is(err, errSampled) {
		return keyError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"sources": orderSources(examples), "targets": targets()})
	return nil
}

// orderSources lists PeopleHR's documented fields first, in their order,
// then any others the tenant's records carry.
func orderSources(examples map[string][]string) []sourceField {
	out := []sourceField{}
	for _, path := range engine.StandardSources() {
		if ex, ok := examples[path]; ok {
			out = append(out, sourceField{path, append([]string{}, ex...)})
			delete(examples, path)
		}
	}
	var rest []string
	for path := range examples {
		rest = append(rest, path)
	}
	slices.Sort(rest)
	for _, path := range rest {
		out = append(out, sourceField{path, append([]string{}, examples[path]...)})
	}
	return out
}

func targets() []targetField {
	out := make([]targetField, 0, engine.NumFields)
	for f := range engine.NumFields {
		out = append(out, targetField{Name: f.String(), Mandatory: f == engine.EmployeeID || f == engine.Email, MaxLength: f.MaxLen(), Date: f.IsDate()})
	}
	return out
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
