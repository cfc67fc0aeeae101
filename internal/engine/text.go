package engine

import (
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// clean is SPEC 2.2's "values are trimmed", for every value ids and emails
// included. It trims surrounding white space, Unicode's too (no-break
// spaces arrive from spreadsheets pasted into PeopleHR); turns a line break
// or tab inside a value, with the spaces around it, into one space, so
// words never run together; drops other control characters and invalid
// UTF-8 (a name never needs a NUL or an escape sequence, and logs, CSV
// cells and emails must not get them); and drops the invisible format
// characters a paste carries (invisible reports which), so that "Ann" and
// "Ann" with a zero-width space are one person; and drops the bidi
// embedding, override and isolate controls, which reorder the text around
// them (an email subject or a console line showing "moc.elgoog" reversed)
// and no name needs. Right-to-left marks stay: names in those scripts need
// them.
func clean(s string) string {
	if strings.IndexFunc(s, unwanted) < 0 && utf8.ValidString(s) {
		return strings.TrimSpace(s)
	}
	out := make([]byte, 0, len(s))
	gap := false // a break or tab was seen: one space is owed before the next character
	spaces := 0  // bytes of white space written last, which a break takes back
	for _, r := range s {
		switch {
		case lineBreak(r):
			gap = true
		case gap && unicode.IsSpace(r), unwanted(r), r == utf8.RuneError:
		default:
			if gap {
				out = append(out[:len(out)-spaces], ' ')
				gap, spaces = false, 0
			}
			out = utf8.AppendRune(out, r)
			if unicode.IsSpace(r) {
				spaces += utf8.RuneLen(r)
			} else {
				spaces = 0
			}
		}
	}
	return strings.TrimSpace(string(out))
}

// unwanted reports a character no stored value keeps: controls (line
// breaks and tabs among them), Unicode's line and paragraph separators,
// invisible format characters and the bidi controls.
func unwanted(r rune) bool {
	return unicode.IsControl(r) || lineBreak(r) || invisible(r) || bidiControl(r)
}

// bidiControl reports the embeddings and overrides (U+202A-U+202E) and the
// isolates (U+2066-U+2069); not the marks (U+200E, U+200F, U+061C).
func bidiControl(r rune) bool {
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069'
}

// Clean is a value as the engine stores it (see clean), for text that
// reaches an email or a page from elsewhere than a feed: the programme
// name, an admin's words, a member stored before a rule was added.
func Clean(s string) string { return clean(s) }

// lineBreak reports a character that separates words across lines or
// columns: it becomes one space inside a value.
func lineBreak(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', '\u0085', '\u2028', '\u2029':
		return true
	}
	return false
}

// invisible reports the format characters that render as nothing and only
// make two equal-looking values differ: the byte-order mark, zero-width
// space, non-joiner and joiner, word joiner, the invisible operators, the
// soft hyphen and the Mongolian vowel separator.
func invisible(r rune) bool {
	switch r {
	case '\ufeff', '\u200b', '\u200c', '\u200d', '\u2060', '\u2061', '\u2062', '\u2063', '\u2064', '\u00ad', '\u180e':
		return true
	}
	return false
}

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

// cut is a value shortened to its field's limit as stored: the cut may
// land after a space, which would then trail the value.
func cut(s string, n int) string {
	return strings.TrimRightFunc(truncate(s, n), unicode.IsSpace)
}

func toLower(s string) string { return strings.ToLower(s) }

// ValidEmail accepts a bare address (no display name) of at most 254
// characters whose domain is a host name: labels of letters, digits and
// hyphens joined by dots, at least two of them, once an internationalised
// domain is put in its ASCII form (IDNA). net/mail alone accepts any
// "atext" in a domain (a@b_c!.com, a@[1.2.3.4]), which no mailbox has.
func ValidEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && hostName(s[at+1:])
}

func hostName(domain string) bool {
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil || len(ascii) > 253 {
		return false
	}
	labels := strings.Split(ascii, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// sameText compares two names as a person would read them: ignoring case,
// and with composed and decomposed accents (é and e + ◌́) alike.
func sameText(a, b string) bool {
	return strings.EqualFold(norm.NFC.String(a), norm.NFC.String(b))
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
