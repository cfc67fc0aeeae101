package sync

import (
	"net/mail"
	"strings"
	"unicode/utf8"
)

// clean trims surrounding white space, Unicode's included (no-break spaces
// arrive from spreadsheets pasted into PeopleHR).
func clean(s string) string { return strings.TrimSpace(s) }

func runeLen(s string) int { return utf8.RuneCountInString(s) }

// truncate cuts s to at most n runes without splitting a character.
func truncate(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

func toLower(s string) string { return strings.ToLower(s) }

// ValidEmail accepts a bare address (no display name) of at most 254
// characters whose domain has a dot.
func ValidEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasSuffix(domain, ".") && !strings.HasPrefix(domain, ".")
}

// isActive decides SPEC 2.3's "inactive": a leaving date on or before today,
// or a status that is not active. "Leaver marked" means the leaving date is
// still ahead (the check above has passed), so the employee is still active.
func isActive(status, leavingDate, today string) bool {
	if leavingDate != "" && leavingDate <= today {
		return false
	}
	switch strings.ToLower(status) {
	case "", "1", "active", "current", "true", "yes",
		"leaver marked", "leaver_marked", "leavermarked", "marked as leaver":
		return true
	}
	return false
}
