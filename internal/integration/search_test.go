package integration_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/peoplesync/peoplesync/internal/integration"
)

func TestFold(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Zoë", "zoe"},
		{"O'Brien", "obrien"},
		{"Ó Briain", "obriain"},
		{"Smith-Jones", "smithjones"},
		{"ＡＢＣ１", "abc1"}, // full-width, NFKD's compatibility forms
		{"ﬁnn", "finn"},  // a ligature
		{"Łukasz", "łukasz"},
		{"Ñúñez", "nunez"},
		{"Дмитрий", "дмитрии"}, // й decomposes to и and a breve
		{"' -", ""},
	} {
		if got := integration.Fold(tc.in); got != tc.want {
			t.Errorf("Fold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := integration.FoldAddress(" Zoë.O'Neil#1@Example.com "); got != "zoe.o'neil1@example.com" {
		t.Errorf("FoldAddress: %q", got)
	}
}

func TestParseSearch(t *testing.T) {
	type src = integration.SearchSource
	for _, tc := range []struct {
		q    string
		want []src
	}{
		{"Zoë", []src{{integration.BySurname, "zoe"}, {integration.ByGiven, "zoe"}, {integration.ByEmail, "zoe"}, {integration.ByEmployeeID, "Zoë"}, {integration.ByEmployeeID, "ZOË"}, {integration.ByEmployeeID, "zoë"}}},
		{"zoe smi", []src{{integration.BySurname, "zoesmi"}, {integration.ByGiven, "zoesmi"}, {integration.ByEmail, "zoesmi"}}},
		{"pw21", []src{{integration.BySurname, "pw21"}, {integration.ByGiven, "pw21"}, {integration.ByEmail, "pw21"}, {integration.ByEmployeeID, "pw21"}, {integration.ByEmployeeID, "PW21"}}},
		{"Zoe@Ex", []src{{integration.ByEmail, "zoe@ex"}, {integration.ByEmployeeID, "Zoe@Ex"}, {integration.ByEmployeeID, "ZOE@EX"}, {integration.ByEmployeeID, "zoe@ex"}}},
		{"--", []src{{integration.ByEmployeeID, "--"}}},
	} {
		s, err := integration.ParseSearch(tc.q)
		if err != nil || !slices.Equal(s.Sources, tc.want) {
			t.Errorf("ParseSearch(%q) = %v, %v; want %v", tc.q, s.Sources, err, tc.want)
		}
	}
	for _, q := range []string{"", " \t", "' -"} {
		if _, err := integration.ParseSearch(q); !errors.Is(err, integration.ErrBadQuery) {
			t.Errorf("ParseSearch(%q): %v, want a bad query", q, err)
		}
	}
}
