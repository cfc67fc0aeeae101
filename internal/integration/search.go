package integration

import (
	"errors"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/peoplesync/peoplesync/internal/engine"
)

// Member search: by surname, given name, email or employee id, each a
// prefix. Both stores answer it alike from what is here: the keys a member
// is found by, the order of a page and its cursor. The DynamoDB store keeps
// each key on the member item, where an index of its own sorts it, so a
// search reads only the members it shows.

// ErrBadQuery is a search with nothing to look for.
var ErrBadQuery = errors.New("search query has nothing to search by")

// MaxQuery bounds a query, in bytes: longer than any key it could match.
const MaxQuery = 256

// Fold is how a name or an address is compared: decomposed (NFKD), accents
// and other combining marks dropped, lower-cased, and only letters and
// digits kept. So "Zoë" is found by "zoe", and "O'Brien" and "Ó Briain" by
// "obr", "o'b" or "o b" alike; spaces go too, so "smith zo" finds Zoë
// Smith in the surname order.
func Fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// FoldAddress is how an email address is compared: as Fold, but keeping
// its punctuation, so "zoe.smith@" finds the address and not a Zoe
// Smithson; white space and '#' go ('#' ends a fold in a key).
func FoldAddress(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		if !unicode.IsSpace(r) && !unicode.Is(unicode.Mn, r) && r != '#' {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// SearchBy is what a search source matches.
type SearchBy uint8

// The sources, in the order a page lists them: a member found by several
// is listed once, under the first.
const (
	BySurname SearchBy = iota // surname then first name
	ByGiven                   // first name then surname
	ByEmail
	ByEmployeeID // as typed, upper- or lower-cased: ids are case-sensitive keys
)

// SearchSource is one ordered run of a search: the members whose key for
// By starts with Prefix.
type SearchSource struct {
	By     SearchBy
	Prefix string
}

// Search is a parsed query: its sources in page order.
type Search struct {
	Query   string
	Sources []SearchSource
}

// StartSearch reads a query and a cursor of it ("" is the start): what
// both stores do first. ErrBadQuery or ErrBadCursor when it cannot.
func StartSearch(q, cursor string) (Search, SearchCursor, error) {
	s, err := ParseSearch(q)
	if err != nil {
		return s, SearchCursor{}, err
	}
	c, err := s.Cursor(cursor)
	return s, c, err
}

// ParseSearch reads a query, or ErrBadQuery.
func ParseSearch(q string) (Search, error) {
	q = strings.TrimSpace(q)
	if len(q) > MaxQuery {
		return Search{}, ErrBadQuery
	}
	s := Search{Query: q}
	// An '@' says the query is an address: names would only add noise.
	if f := Fold(q); f != "" {
		if !strings.Contains(q, "@") {
			s.Sources = append(s.Sources, SearchSource{BySurname, f}, SearchSource{ByGiven, f})
		}
		s.Sources = append(s.Sources, SearchSource{ByEmail, FoldAddress(q)})
	}
	if q != "" && !strings.ContainsFunc(q, unicode.IsSpace) {
		for _, id := range []string{q, strings.ToUpper(q), strings.ToLower(q)} {
			if !s.hasID(id) {
				s.Sources = append(s.Sources, SearchSource{ByEmployeeID, id})
			}
		}
	}
	if len(s.Sources) == 0 {
		return Search{}, ErrBadQuery
	}
	return s, nil
}

func (s *Search) hasID(id string) bool {
	for _, src := range s.Sources {
		if src.By == ByEmployeeID && src.Prefix == id {
			return true
		}
	}
	return false
}

// SearchKey is a member's key for by: the folded value, then '#' and the
// employee id, so keys are unique, sort by the value first, and a prefix
// (never a '#') cannot reach into the id; "" when the member has no such value. By
// employee id it is the id itself.
func SearchKey(by SearchBy, m *engine.Member) string {
	var f string
	switch by {
	case BySurname:
		f = Fold(m.Values.Get(engine.LastName)) + Fold(m.Values.Get(engine.FirstName))
	case ByGiven:
		f = Fold(m.Values.Get(engine.FirstName)) + Fold(m.Values.Get(engine.LastName))
	case ByEmail:
		f = FoldAddress(m.Email())
	case ByEmployeeID:
		return m.EmployeeID()
	}
	if f == "" {
		return ""
	}
	return f + "#" + m.EmployeeID()
}

// Matches reports whether src finds m.
func (src SearchSource) Matches(m *engine.Member) bool {
	k := SearchKey(src.By, m)
	if src.By != ByEmployeeID {
		k, _, _ = strings.Cut(k, "#")
	}
	return k != "" && strings.HasPrefix(k, src.Prefix)
}

// ListedBefore reports whether a source ahead of source i finds m: then m
// is on the page there, and source i skips it.
func (s *Search) ListedBefore(i int, m *engine.Member) bool {
	for _, src := range s.Sources[:i] {
		if src.Matches(m) {
			return true
		}
	}
	return false
}

// SearchHit is what a search gives of a member: what a row of results
// shows (who, status, invited and joined). The DynamoDB store's indexes
// hold just these, so a search reads no more than it shows.
func SearchHit(m engine.Member) engine.Member {
	hit := engine.Member{
		Status: m.Status, LeftOn: m.LeftOn, CreatedAt: m.CreatedAt,
		InvitedAt: m.InvitedAt, JoinedAt: m.JoinedAt,
	}
	for _, f := range SearchFields {
		hit.Values.Set(f, m.Values.Get(f))
	}
	return hit
}

// SearchFields are the member fields a hit carries.
var SearchFields = []engine.Field{engine.EmployeeID, engine.Email, engine.FirstName, engine.LastName, engine.PreferredName}

// SearchCursor is where a page of a search ended: in source Source, after
// key After. It names the query it belongs to: used with another it is
// refused. Encoded, base64url of its JSON, opaque to callers.
type SearchCursor struct {
	Query  string `json:"q"`
	Source int    `json:"s"`
	After  string `json:"a"`
}

// maxSearchCursor bounds an encoded cursor: a query and a key of a few
// hundred bytes each, base64 and JSON escapes included.
const maxSearchCursor = 2048

// Encode is the cursor as callers see it.
func (c SearchCursor) Encode() string { return EncodeCursor(c) }

// Cursor reads a cursor of this search ("" is the start), or ErrBadCursor.
func (s *Search) Cursor(enc string) (SearchCursor, error) {
	var c SearchCursor
	if enc == "" {
		return c, nil
	}
	if err := DecodeCursor(enc, maxSearchCursor, &c); err != nil {
		return c, err
	}
	if c.Query != s.Query || c.Source < 0 || c.Source >= len(s.Sources) || c.After == "" {
		return c, ErrBadCursor
	}
	// The key must be one the source holds: a store starts reading after it.
	src := s.Sources[c.Source]
	if !strings.HasPrefix(c.After, src.Prefix) || src.By != ByEmployeeID && !strings.Contains(c.After, "#") {
		return c, ErrBadCursor
	}
	return c, nil
}

// SearchRead reads up to n members src finds, in key order after the key
// after ("" is the start), and whether it has more after them.
type SearchRead func(src SearchSource, after string, n int) (found []engine.Member, more bool, err error)

// Page fills a page of up to limit hits from cur on, source by source, and
// gives the cursor of the next page: "" once a page is not full (a full
// page's next may be empty).
func (s *Search) Page(cur SearchCursor, limit int, read SearchRead) ([]engine.Member, string, error) {
	var out []engine.Member
	after := cur.After
	for i := cur.Source; i < len(s.Sources); i, after = i+1, "" {
		for more := true; more; {
			var found []engine.Member
			var err error
			if found, more, err = read(s.Sources[i], after, limit-len(out)); err != nil {
				return nil, "", err
			}
			more = more && len(found) > 0
			for j := range found {
				m := &found[j]
				after = SearchKey(s.Sources[i].By, m)
				if s.ListedBefore(i, m) {
					continue
				}
				if out = append(out, SearchHit(*m)); len(out) == limit {
					return out, SearchCursor{Query: s.Query, Source: i, After: after}.Encode(), nil
				}
			}
		}
	}
	return out, "", nil
}
