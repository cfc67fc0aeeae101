package peoplehr

import (
	"strings"
	"unicode"
)

// NormalizeKey returns the bare API key in what an admin pasted. PeopleHR
// keys are GUIDs, and a GUID is often copied in its registry form
// ({...}), with spaces around it, or with invisible characters an editor,
// browser or chat app added (a byte-order mark, zero-width spaces and
// joiners, direction marks). PeopleHR knows only the bare key. Anything
// else is left for the key check to refuse.
func NormalizeKey(s string) string {
	s = strings.Map(func(r rune) rune {
		// Format characters (Cf) are invisible and never part of a key;
		// unicode.IsSpace does not count them.
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimFunc(s, unicode.IsSpace)
	if inner, ok := strings.CutPrefix(s, "{"); ok {
		if inner, ok := strings.CutSuffix(inner, "}"); ok {
			s = strings.TrimFunc(inner, unicode.IsSpace)
		}
	}
	return s
}
