package schedule

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

func mustParse(t *testing.T, frequency, timeOfDay, weekday, zone string) Spec {
	t.Helper()
	s, err := Parse(frequency, timeOfDay, weekday, zone)
	if err != nil {
		t.Fatalf("Parse(%q, %q, %q, %q): %v", frequency, timeOfDay, weekday, zone, err)
	}
	return s
}

// at reads an RFC 3339 instant; expectations carry their local offset so the
// table reads as wall clock and is still an exact instant.
func at(t *testing.T, v string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, v)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestNextOrdinary(t *testing.T) {
	tests := []struct {
		name                   string
		zone, freq, tod, wkday string
		after, want            string
	}{
		// Europe/London, summer (BST, +01:00) and winter (GMT).
		{"london daily before", "Europe/London", "daily", "09:00", "", "2026-06-10T08:00:00+01:00", "2026-06-10T09:00:00+01:00"},
		{"london daily after", "Europe/London", "daily", "09:00", "", "2026-06-10T09:30:00+01:00", "2026-06-11T09:00:00+01:00"},
		{"london daily exactly at", "Europe/London", "daily", "09:00", "", "2026-06-10T09:00:00+01:00", "2026-06-11T09:00:00+01:00"},
		{"london daily just before", "Europe/London", "daily", "09:00", "", "2026-06-10T08:59:59.999999999+01:00", "2026-06-10T09:00:00+01:00"},
		{"london daily winter", "Europe/London", "daily", "23:59", "", "2026-01-10T23:59:00Z", "2026-01-11T23:59:00Z"},
		{"london daily midnight", "Europe/London", "daily", "00:00", "", "2026-06-10T23:00:00+01:00", "2026-06-11T00:00:00+01:00"},
		{"london weekly later this week", "Europe/London", "weekly", "09:00", "friday", "2026-06-10T12:00:00+01:00", "2026-06-12T09:00:00+01:00"},
		{"london weekly wraps to next week", "Europe/London", "weekly", "09:00", "monday", "2026-06-10T12:00:00+01:00", "2026-06-15T09:00:00+01:00"},
		{"london weekly same day after", "Europe/London", "weekly", "09:00", "wednesday", "2026-06-10T09:00:00+01:00", "2026-06-17T09:00:00+01:00"},
		{"london weekly same day before", "Europe/London", "weekly", "09:00", "wednesday", "2026-06-10T08:00:00+01:00", "2026-06-10T09:00:00+01:00"},
		{"london weekly sunday to saturday", "Europe/London", "weekly", "22:00", "saturday", "2026-06-14T23:00:00+01:00", "2026-06-20T22:00:00+01:00"},
		{"london hourly across midnight", "Europe/London", "hourly", "02:15", "", "2026-06-10T23:20:00+01:00", "2026-06-11T00:15:00+01:00"},
		{"london hourly exactly at", "Europe/London", "hourly", "02:15", "", "2026-06-10T23:15:00+01:00", "2026-06-11T00:15:00+01:00"},
		{"london hourly same hour", "Europe/London", "hourly", "02:15", "", "2026-06-10T23:00:00+01:00", "2026-06-10T23:15:00+01:00"},

		// America/New_York, summer (EDT, -04:00).
		{"new york daily before", "America/New_York", "daily", "09:00", "", "2026-06-10T08:00:00-04:00", "2026-06-10T09:00:00-04:00"},
		{"new york daily after", "America/New_York", "daily", "09:00", "", "2026-06-10T21:00:00-04:00", "2026-06-11T09:00:00-04:00"},
		{"new york daily exactly at", "America/New_York", "daily", "09:00", "", "2026-06-10T09:00:00-04:00", "2026-06-11T09:00:00-04:00"},
		// 22:00 EDT is already the next UTC day: the local date must count.
		{"new york daily late evening", "America/New_York", "daily", "22:00", "", "2026-06-10T21:00:00-04:00", "2026-06-10T22:00:00-04:00"},
		{"new york weekly wraps", "America/New_York", "weekly", "09:00", "monday", "2026-06-15T09:00:01-04:00", "2026-06-22T09:00:00-04:00"},
		{"new york hourly across midnight", "America/New_York", "hourly", "00:00", "", "2026-06-10T23:00:00-04:00", "2026-06-11T00:00:00-04:00"},

		// Australia/Sydney, winter (AEST, +10:00): local dates run ahead of UTC.
		{"sydney daily before", "Australia/Sydney", "daily", "09:00", "", "2026-06-10T08:00:00+10:00", "2026-06-10T09:00:00+10:00"},
		{"sydney daily after", "Australia/Sydney", "daily", "09:00", "", "2026-06-10T10:00:00+10:00", "2026-06-11T09:00:00+10:00"},
		{"sydney daily exactly at", "Australia/Sydney", "daily", "09:00", "", "2026-06-10T09:00:00+10:00", "2026-06-11T09:00:00+10:00"},
		{"sydney daily summer", "Australia/Sydney", "daily", "09:00", "", "2026-01-10T09:00:00+11:00", "2026-01-11T09:00:00+11:00"},
		{"sydney weekly wraps", "Australia/Sydney", "weekly", "06:00", "tuesday", "2026-06-10T00:00:00+10:00", "2026-06-16T06:00:00+10:00"},
		{"sydney hourly across midnight", "Australia/Sydney", "hourly", "13:45", "", "2026-06-10T23:50:00+10:00", "2026-06-11T00:45:00+10:00"},

		// Asia/Kolkata (+05:30, no DST): a local :15 is a UTC :45, and a
		// local 09:00 is 03:30 UTC.
		{"kolkata daily before", "Asia/Kolkata", "daily", "09:00", "", "2026-06-10T03:00:00Z", "2026-06-10T03:30:00Z"},
		{"kolkata daily after", "Asia/Kolkata", "daily", "09:00", "", "2026-06-10T09:30:00+05:30", "2026-06-11T09:00:00+05:30"},
		{"kolkata daily exactly at", "Asia/Kolkata", "daily", "09:00", "", "2026-06-10T03:30:00Z", "2026-06-11T03:30:00Z"},
		{"kolkata weekly wraps", "Asia/Kolkata", "weekly", "09:00", "sunday", "2026-06-14T09:00:00+05:30", "2026-06-21T09:00:00+05:30"},
		{"kolkata hourly local minute", "Asia/Kolkata", "hourly", "02:15", "", "2026-06-10T10:00:00Z", "2026-06-10T10:45:00Z"},
		{"kolkata hourly exactly at", "Asia/Kolkata", "hourly", "02:15", "", "2026-06-10T10:45:00Z", "2026-06-10T11:45:00Z"},
		{"kolkata hourly across local midnight", "Asia/Kolkata", "hourly", "02:15", "", "2026-06-10T23:50:00+05:30", "2026-06-11T00:15:00+05:30"},
		{"kolkata hourly on the utc hour", "Asia/Kolkata", "hourly", "07:30", "", "2026-06-10T10:10:00Z", "2026-06-10T11:00:00Z"},

		// Asia/Kathmandu (+05:45): quarter-hour offsets work the same way.
		{"kathmandu hourly", "Asia/Kathmandu", "hourly", "00:00", "", "2026-06-10T10:00:00Z", "2026-06-10T10:15:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.freq, tt.tod, tt.wkday, tt.zone)
			got := s.Next(at(t, tt.after))
			want := at(t, tt.want)
			if !got.Equal(want) {
				t.Errorf("Next(%s) = %s (%s), want %s", tt.after, got, got.In(s.Location), want)
			}
			if got.Location() != time.UTC {
				t.Errorf("Next returned %s, want UTC", got.Location())
			}
		})
	}
}

// TestNextDailyAcrossDST walks a daily slot placed inside each 2026 gap and
// overlap from the day before the transition across three local days. Each
// local day must get exactly one slot: the gap slot at the transition instant
// (the first valid instant after the gap), the overlap slot at its first
// occurrence.
func TestNextDailyAcrossDST(t *testing.T) {
	tests := []struct {
		name, zone, tod, from string
		want                  [3]string
	}{
		// 2026-03-29 01:00 GMT -> 02:00 BST: 01:30 does not exist.
		{"london spring gap", "Europe/London", "01:30", "2026-03-28T00:00:00Z",
			[3]string{"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T01:30:00+01:00"}},
		// 2026-10-25 02:00 BST -> 01:00 GMT: 01:30 happens at +01:00, then at +00:00.
		{"london autumn overlap", "Europe/London", "01:30", "2026-10-24T00:00:00+01:00",
			[3]string{"2026-10-24T01:30:00+01:00", "2026-10-25T01:30:00+01:00", "2026-10-26T01:30:00Z"}},
		// 2026-03-08 02:00 EST -> 03:00 EDT: 02:30 does not exist.
		{"new york spring gap", "America/New_York", "02:30", "2026-03-07T00:00:00-05:00",
			[3]string{"2026-03-07T02:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"}},
		// 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 happens twice.
		{"new york autumn overlap", "America/New_York", "01:30", "2026-10-31T00:00:00-04:00",
			[3]string{"2026-10-31T01:30:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}},
		// 2026-04-05 03:00 AEDT -> 02:00 AEST: 02:30 happens twice.
		{"sydney autumn overlap", "Australia/Sydney", "02:30", "2026-04-04T00:00:00+11:00",
			[3]string{"2026-04-04T02:30:00+11:00", "2026-04-05T02:30:00+11:00", "2026-04-06T02:30:00+10:00"}},
		// 2026-10-04 02:00 AEST -> 03:00 AEDT: 02:30 does not exist.
		{"sydney spring gap", "Australia/Sydney", "02:30", "2026-10-03T00:00:00+10:00",
			[3]string{"2026-10-03T02:30:00+10:00", "2026-10-04T03:00:00+11:00", "2026-10-05T02:30:00+11:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, "daily", tt.tod, "", tt.zone)
			from := at(t, tt.from)
			end := from.AddDate(0, 0, 3)
			var got []string
			perDay := map[string]int{}
			for n := s.Next(from); n.Before(end); n = s.Next(n) {
				got = append(got, n.Format(time.RFC3339))
				perDay[n.In(s.Location).Format(time.DateOnly)]++
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, at(t, w).UTC().Format(time.RFC3339))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("slots = %v, want %v", got, want)
			}
			for day, n := range perDay {
				if n != 1 {
					t.Errorf("%s has %d slots, want 1", day, n)
				}
			}
		})
	}
}

// TestNextEdgesOfTransitions pins the boundaries of the gaps and overlaps and
// checks that an overlap slot already taken is not taken again.
func TestNextEdgesOfTransitions(t *testing.T) {
	tests := []struct {
		name                   string
		zone, freq, tod, wkday string
		after, want            string
	}{
		// The first missing minute and the first minute after the gap both
		// resolve to the transition instant.
		{"gap start", "America/New_York", "daily", "02:00", "", "2026-03-08T00:00:00-05:00", "2026-03-08T03:00:00-04:00"},
		{"gap end", "America/New_York", "daily", "03:00", "", "2026-03-08T00:00:00-05:00", "2026-03-08T03:00:00-04:00"},
		{"last minute of gap", "America/New_York", "daily", "02:59", "", "2026-03-08T00:00:00-05:00", "2026-03-08T03:00:00-04:00"},
		// 01:00 occurs twice (first at EDT); 02:00 occurs once, at EST.
		{"overlap start", "America/New_York", "daily", "01:00", "", "2026-11-01T00:00:00-04:00", "2026-11-01T01:00:00-04:00"},
		{"after overlap", "America/New_York", "daily", "02:00", "", "2026-11-01T00:00:00-04:00", "2026-11-01T02:00:00-05:00"},
		// Asked during the second 01:00-02:00, after the first 01:30 has
		// run: the second 01:30 is not a slot, so the next is tomorrow.
		{"overlap second pass", "America/New_York", "daily", "01:30", "", "2026-11-01T01:00:00-05:00", "2026-11-02T01:30:00-05:00"},
		{"overlap between passes", "Australia/Sydney", "daily", "02:30", "", "2026-04-05T02:45:00+11:00", "2026-04-06T02:30:00+10:00"},
		// Weekly slots resolve the same way (both dates are Sundays).
		{"weekly in gap", "America/New_York", "weekly", "02:30", "sunday", "2026-03-01T12:00:00-05:00", "2026-03-08T03:00:00-04:00"},
		{"weekly in overlap", "Europe/London", "weekly", "01:30", "Sunday", "2026-10-18T12:00:00+01:00", "2026-10-25T01:30:00+01:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.freq, tt.tod, tt.wkday, tt.zone)
			if got, want := s.Next(at(t, tt.after)), at(t, tt.want); !got.Equal(want) {
				t.Errorf("Next(%s) = %s (%s), want %s", tt.after, got, got.In(s.Location), want)
			}
		})
	}
}

// TestNextHourlyAcrossDST lists the hourly slots around each transition. In
// these zones clocks move by a whole hour, so slots stay exactly one real
// hour apart throughout:
//   - spring forward: the local hour that does not exist (e.g. 02:xx) has no
//     slot; the slot before it and the one after it are still one real hour
//     apart, because the clock jumped over that hour;
//   - fall back: the repeated local hour is a distinct real hour and gets its
//     own slot, so the same wall time (e.g. 01:30) appears twice.
func TestNextHourlyAcrossDST(t *testing.T) {
	tests := []struct {
		name, zone, from string
		want             []string // local wall clock with zone abbreviation
	}{
		{"london spring", "Europe/London", "2026-03-28T23:00:00Z",
			[]string{"23:30 GMT", "00:30 GMT", "02:30 BST", "03:30 BST"}},
		{"london autumn", "Europe/London", "2026-10-25T00:00:00+01:00",
			[]string{"00:30 BST", "01:30 BST", "01:30 GMT", "02:30 GMT"}},
		{"new york spring", "America/New_York", "2026-03-08T00:00:00-05:00",
			[]string{"00:30 EST", "01:30 EST", "03:30 EDT", "04:30 EDT"}},
		{"new york autumn", "America/New_York", "2026-11-01T00:00:00-04:00",
			[]string{"00:30 EDT", "01:30 EDT", "01:30 EST", "02:30 EST"}},
		{"sydney autumn", "Australia/Sydney", "2026-04-05T01:00:00+11:00",
			[]string{"01:30 AEDT", "02:30 AEDT", "02:30 AEST", "03:30 AEST"}},
		{"sydney spring", "Australia/Sydney", "2026-10-04T00:00:00+10:00",
			[]string{"00:30 AEST", "01:30 AEST", "03:30 AEDT", "04:30 AEDT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, "hourly", "09:30", "", tt.zone)
			var got []string
			prev := time.Time{}
			for n := s.Next(at(t, tt.from)); len(got) < len(tt.want); n = s.Next(n) {
				got = append(got, n.In(s.Location).Format("15:04 MST"))
				if !prev.IsZero() && n.Sub(prev) != time.Hour {
					t.Errorf("%s follows %s by %s, want 1h", n, prev, n.Sub(prev))
				}
				prev = n
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("slots = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestNextProperties checks, for random instants and specs over two years in
// each zone, the invariants the scheduler relies on.
func TestNextProperties(t *testing.T) {
	zones := []string{"Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata"}
	freqs := []string{"hourly", "daily", "weekly"}
	days := []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
	// Longest real gap between consecutive slots in these zones: clocks move
	// by at most one hour, so a local day lasts at most 25 hours.
	maxGap := map[string]time.Duration{
		"hourly": time.Hour,
		"daily":  25 * time.Hour,
		"weekly": 7*24*time.Hour + time.Hour,
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	span := int64(start.AddDate(2, 0, 0).Sub(start))
	rng := rand.New(rand.NewPCG(20260308, 20261101))

	for _, zone := range zones {
		for i := 0; i < 3000; i++ {
			freq := freqs[rng.IntN(len(freqs))]
			// Half the specs sit in the 00:00-03:59 band where every DST
			// change of these zones happens.
			hour := rng.IntN(24)
			if rng.IntN(2) == 0 {
				hour = rng.IntN(4)
			}
			tod := fmt.Sprintf("%02d:%02d", hour, rng.IntN(60))
			s := mustParse(t, freq, tod, days[rng.IntN(7)], zone)
			t1 := start.Add(time.Duration(rng.Int64N(span)))
			t2 := t1.Add(time.Duration(rng.Int64N(int64(9 * 24 * time.Hour))))
			n1, n2 := s.Next(t1), s.Next(t2)
			desc := fmt.Sprintf("%s %s %s %s from %s", zone, freq, tod, s.Weekday, t1.Format(time.RFC3339Nano))

			if !n1.After(t1) {
				t.Fatalf("%s: Next = %s, not after", desc, n1)
			}
			if d := n1.Sub(t1); d > maxGap[freq] || d > 8*24*time.Hour {
				t.Fatalf("%s: Next = %s, %s later", desc, n1, d)
			}
			if n2.Before(n1) {
				t.Fatalf("%s: not monotonic: Next(%s) = %s before %s", desc, t2, n2, n1)
			}
			if again := s.Next(n1.Add(-time.Nanosecond)); !again.Equal(n1) {
				t.Fatalf("%s: Next(Next-1ns) = %s, want %s", desc, again, n1)
			}
			checkOnSchedule(t, desc, s, n1)
		}
	}
}

// checkOnSchedule asserts that slot is where s says: at the local minute, on
// the weekday, and at the local time of day unless that time fell into a gap,
// in which case the slot is the transition instant.
func checkOnSchedule(t *testing.T, desc string, s Spec, slot time.Time) {
	t.Helper()
	l := slot.In(s.Location)
	var hour, minute int
	fmt.Sscanf(s.TimeOfDay, "%d:%d", &hour, &minute)
	if s.Frequency == "weekly" && l.Weekday().String() != capitalize(s.Weekday) {
		t.Fatalf("%s: slot %s is a %s", desc, l, l.Weekday())
	}
	if l.Second() != 0 || l.Nanosecond() != 0 {
		t.Fatalf("%s: slot %s is not on a whole minute", desc, l)
	}
	if s.Frequency == "hourly" {
		if l.Minute() != minute {
			t.Fatalf("%s: slot %s is not at minute %d", desc, l, minute)
		}
		return
	}
	if l.Hour() == hour && l.Minute() == minute {
		return
	}
	if start, _ := l.ZoneBounds(); !start.Equal(slot) {
		t.Fatalf("%s: slot %s is neither %s nor a transition", desc, l, s.TimeOfDay)
	}
}

func capitalize(day string) string { return string(day[0]-'a'+'A') + day[1:] }

func TestNextZeroSpec(t *testing.T) {
	if got := (Spec{}).Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); !got.IsZero() {
		t.Errorf("zero Spec: Next = %s, want the zero Time", got)
	}
}

func TestSpread(t *testing.T) {
	daily := mustParse(t, "daily", "02:00", "", "Europe/London")
	weekly := mustParse(t, "weekly", "02:00", "monday", "Europe/London")
	hourly := mustParse(t, "hourly", "02:00", "", "Europe/London")

	// Pinned: changing the hash would move every tenant's import time.
	for _, c := range []struct {
		s      Spec
		tenant string
		want   time.Duration
	}{
		{daily, "tenant-1", 831 * time.Second},
		{daily, "acme", 587 * time.Second},
		{hourly, "tenant-1", 231 * time.Second},
	} {
		if got := c.s.Spread(c.tenant); got != c.want {
			t.Errorf("%s Spread(%q) = %s, want %s", c.s.Frequency, c.tenant, got, c.want)
		}
	}

	perMinute := map[string]map[time.Duration]int{}
	for _, s := range []Spec{daily, weekly, hourly} {
		window := 15 * time.Minute
		if s.Frequency == "hourly" {
			window = 5 * time.Minute
		}
		perMinute[s.Frequency] = map[time.Duration]int{}
		for i := range 10000 {
			id := fmt.Sprintf("tenant-%d", i)
			d := s.Spread(id)
			if d < 0 || d >= window || d%time.Second != 0 {
				t.Fatalf("%s Spread(%q) = %s, want whole seconds in [0, %s)", s.Frequency, id, d, window)
			}
			if again := s.Spread(id); again != d {
				t.Fatalf("Spread(%q) not deterministic: %s then %s", id, d, again)
			}
			perMinute[s.Frequency][d.Truncate(time.Minute)]++
		}
		// 10,000 tenants over the window: every minute used, none with
		// more than 1.5 times its fair share.
		minutes := int(window / time.Minute)
		if len(perMinute[s.Frequency]) != minutes {
			t.Errorf("%s: %d minutes used, want %d", s.Frequency, len(perMinute[s.Frequency]), minutes)
		}
		for m, n := range perMinute[s.Frequency] {
			if n > 10000/minutes*3/2 {
				t.Errorf("%s: %d tenants in minute %s", s.Frequency, n, m)
			}
		}
	}
}

func TestParse(t *testing.T) {
	s, err := Parse(" weekly ", "07:05", " Monday ", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	if s.Frequency != "weekly" || s.TimeOfDay != "07:05" || s.Weekday != "monday" || s.Location.String() != "America/New_York" {
		t.Errorf("Parse = %+v", s)
	}
	// A weekday left over from an earlier weekly choice is ignored.
	s, err = Parse("daily", "00:00", "someday", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	if s.Weekday != "" {
		t.Errorf("daily Spec kept weekday %q", s.Weekday)
	}
	if _, err := Parse("hourly", "23:59", "", "Asia/Kolkata"); err != nil {
		t.Error(err)
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name                         string
		freq, tod, weekday, timeZone string
		fields                       []string
	}{
		{"no frequency", "", "02:00", "", "Europe/London", []string{"frequency"}},
		{"unknown frequency", "monthly", "02:00", "", "Europe/London", []string{"frequency"}},
		{"capitalised frequency", "Daily", "02:00", "", "Europe/London", []string{"frequency"}},
		{"no time", "daily", "", "", "Europe/London", []string{"timeOfDay"}},
		{"hour not padded", "daily", "2:00", "", "Europe/London", []string{"timeOfDay"}},
		{"minute not padded", "daily", "02:5", "", "Europe/London", []string{"timeOfDay"}},
		{"hour 24", "daily", "24:00", "", "Europe/London", []string{"timeOfDay"}},
		{"minute 60", "daily", "12:60", "", "Europe/London", []string{"timeOfDay"}},
		{"wrong separator", "daily", "12.00", "", "Europe/London", []string{"timeOfDay"}},
		{"seconds", "daily", "12:00:00", "", "Europe/London", []string{"timeOfDay"}},
		{"am pm", "daily", "2:00 PM", "", "Europe/London", []string{"timeOfDay"}},
		{"signed", "daily", "+1:00", "", "Europe/London", []string{"timeOfDay"}},
		{"hourly needs a time too", "hourly", "", "", "Europe/London", []string{"timeOfDay"}},
		{"weekly without day", "weekly", "02:00", "", "Europe/London", []string{"weekday"}},
		{"weekly abbreviated day", "weekly", "02:00", "mon", "Europe/London", []string{"weekday"}},
		{"weekly unknown day", "weekly", "02:00", "funday", "Europe/London", []string{"weekday"}},
		{"no zone", "daily", "02:00", "", "", []string{"timeZone"}},
		{"server local zone", "daily", "02:00", "", "Local", []string{"timeZone"}},
		{"unknown zone", "daily", "02:00", "", "Mars/Olympus_Mons", []string{"timeZone"}},
		{"zone in wrong case", "daily", "02:00", "", "europe/london", []string{"timeZone"}},
		{"zone path", "daily", "02:00", "", "../../etc/passwd", []string{"timeZone"}},
		{"everything wrong", "weekly", "25:00", "", "Nowhere", []string{"timeOfDay", "weekday", "timeZone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.freq, tt.tod, tt.weekday, tt.timeZone)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse = %+v, %v; want a *ValidationError", s, err)
			}
			var fields []string
			for _, p := range ve.Problems {
				fields = append(fields, p.Field)
				if p.Message == "" {
					t.Errorf("%s: empty message", p.Field)
				}
			}
			if !reflect.DeepEqual(fields, tt.fields) {
				t.Errorf("fields = %v, want %v (%v)", fields, tt.fields, err)
			}
			if s != (Spec{}) {
				t.Errorf("Parse returned %+v with an error", s)
			}
		})
	}
}

func TestValidationErrorMessage(t *testing.T) {
	_, err := Parse("weekly", "9am", "", "Europe/London")
	want := `invalid schedule: timeOfDay: use a 24-hour time "HH:MM" from 00:00 to 23:59, e.g. "02:00"; weekday: a weekly import needs a day of the week, e.g. "monday"`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}
