package peoplehr_test

import (
	"testing"

	"github.com/peoplesync/peoplesync/internal/peoplehr"
)

func TestNormalizeKey(t *testing.T) {
	const key = "0f8fad5b-d9cb-469f-a165-70867728950e"
	tests := []struct {
		name, in, want string
	}{
		{"bare", key, key},
		{"in braces", "{" + key + "}", key},
		{"spaces around braces", "  {" + key + "}  ", key},
		{"spaces inside braces", "{ " + key + " }", key},
		{"spaces around", " " + key + " ", key},
		{"tabs and newlines", "\t" + key + "\r\n", key},
		{"no-break spaces", "\u00A0" + key + "\u3000", key},
		{"byte-order mark first", "\uFEFF" + key, key},
		{"zero-width space inside", key[:8] + "\u200B" + key[8:], key},
		{"word joiner and braces", "\u2060{" + key + "}\u200D", key},
		{"direction mark", "\u200E" + key, key},
		{"32 hex digits", " {0f8fad5bd9cb469fa16570867728950e} ", "0f8fad5bd9cb469fa16570867728950e"},
		{"only one pair of braces", "{{" + key + "}}", "{" + key + "}"},
		{"an opening brace alone is kept", "{" + key, "{" + key},
		{"a closing brace alone is kept", key + "}", key + "}"},
		{"inner space is kept", "0f8fad5b d9cb", "0f8fad5b d9cb"},
		{"empty", "", ""},
		{"empty braces", " { } ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := peoplehr.NormalizeKey(tt.in); got != tt.want {
				t.Errorf("NormalizeKey(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
