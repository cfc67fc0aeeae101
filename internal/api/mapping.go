package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

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
	s.audit(r.Context(), p, integration.AuditMappingSaved, fmt.Sprintf("%d fields mapped, settings version %d", len(m.Fields), in.Version))
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
	// Sensitive marks personal data the programme rarely needs: its
	// examples are masked and Warning says what it is, for the console to
	// show beside it.
	Sensitive bool   `json:"sensitive"`
	Warning   string `json:"warning,omitempty"`
}

// sampled is what discovery keeps of one source path: its examples, masked
// as they are read when the path holds personal data, so that an unmasked
// value is never held past its record.
type sampled struct {
	personal string // engine.Personal of the path
	examples []string
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
	found := map[string]*sampled{}
	_, err = s.feed.FetchAll(ctx, key, func() func(map[string]string) error {
		clear(found)
		seen := 0
		return func(rec map[string]string) error {
			for path, v := range rec {
				if !engine.ValidSource(path) {
					continue
				}
				f := found[path]
				if f == nil {
					f = &sampled{personal: engine.Personal(path)}
					found[path] = f
				}
				if v = strings.TrimSpace(v); v == "" || len(f.examples) == examplesPerField {
					continue
				}
				if f.personal != "" {
					v = mask(v)
				}
				// Compared once cut, as shown: masked values of one shape
				// are one example, not three alike.
				if v = cut(v, exampleLen); !slices.Contains(f.examples, v) {
					f.examples = append(f.examples, v)
				}
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
	writeJSON(w, http.StatusOK, map[string]any{"sources": orderSources(found), "targets": targets()})
	return nil
}

// orderSources lists PeopleHR's documented fields first, in their order,
// then any others the tenant's records carry.
func orderSources(found map[string]*sampled) []sourceField {
	standard := engine.StandardSources()
	var paths, rest []string
	for _, path := range standard {
		if _, ok := found[path]; ok {
			paths = append(paths, path)
		}
	}
	for path := range found {
		if !slices.Contains(standard, path) {
			rest = append(rest, path)
		}
	}
	slices.Sort(rest)
	paths = append(paths, rest...)
	out := make([]sourceField, 0, len(paths))
	for _, path := range paths {
		f := found[path]
		sf := sourceField{Path: path, Examples: append([]string{}, f.examples...), Sensitive: f.personal != ""}
		if sf.Sensitive {
			sf.Warning = "Personal data (" + f.personal + "): map it only if the programme needs it. Examples are masked."
		}
		out = append(out, sf)
	}
	return out
}

// dateShape is a date in any of the settings' formats.
var dateShape = regexp.MustCompile(`^(?:\d{4}[-/.]\d\d[-/.]\d\d|\d\d[-/.]\d\d[-/.]\d{4})$`)

// topLevelDomain is what an email's masked example keeps of its domain.
var topLevelDomain = regexp.MustCompile(`^[A-Za-z]{2,24}$`)

// mask hides a personal example, keeping only what tells a field's kind of
// value from another's: an email's first character and top-level domain
// ("j•••@•••.com"), a date's century ("19••-••-••"). Anything else is
// hidden whole, length included: a gender's length would give it away.
func mask(v string) string {
	if local, domain, ok := strings.Cut(v, "@"); ok && local != "" {
		first, _ := utf8.DecodeRuneInString(local)
		tld := ""
		if i := strings.LastIndexByte(domain, '.'); i >= 0 && topLevelDomain.MatchString(domain[i+1:]) {
			tld = domain[i:]
		}
		return string(first) + "•••@•••" + tld
	}
	if dateShape.MatchString(v) {
		century := 0 // yyyy first
		if v[2] < '0' || v[2] > '9' {
			century = 6 // dd-MM-yyyy, MM/dd/yyyy
		}
		var b strings.Builder
		for i := range len(v) {
			if c := v[i]; c < '0' || c > '9' || i == century || i == century+1 {
				b.WriteByte(c)
			} else {
				b.WriteString("•")
			}
		}
		return b.String()
	}
	return "•••"
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
