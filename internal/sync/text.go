package sync

import (
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// clean trims surrounding white space, Unicode's included (no-break spaces
// arrive from spreadsheets pasted into PeopleHR), and drops control
// characters and invalid UTF-8: a name never needs a NUL, an escape
// sequence or a line break, and logs, CSV cells and emails must not get
// them. Format characters such as right-to-left marks stay: names need them.
func clean(s string) string {
	if strings.IndexFunc(s, unwanted) >= 0 || !utf8.ValidString(s) {
		s = strings.Map(func(r rune) rune {
			if unwanted(r) || r == utf8.RuneError {
				return -1
			}
			return r
		}, s)
	}
	return strings.TrimSpace(s)
}

func unwanted(r rune) bool { return unicode.IsControl(r) }

// quoteLen bounds how much of a bad value an issue message repeats: a
// 10 MB field must not make a 10 MB error file.
const quoteLen = 60

// quote is a value as an issue message shows it: quoted, and cut.
func quote(v string) string {
	if runeLen(v) > quoteLen {
		return strconv.Quote(truncate(v, quoteLen)) + "…"
	}
	return strconv.Quote(v)
}

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
