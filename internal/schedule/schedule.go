package schedule

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
	_ "time/tzdata" // provided.al2023 has no /usr/share/zoneinfo
)

// Frequencies an admin can choose.
const (
	Hourly = "hourly"
	Daily  = "daily"
	Weekly = "weekly"
)

// Spec is a validated schedule. Make it with Parse: the zero Spec has no
// frequency and no location, and Next returns the zero Time for it.
type Spec struct {
	Frequency string // Hourly, Daily or Weekly
	TimeOfDay string // "HH:MM"; for Hourly only the minute is used
	Weekday   string // lower-case English day name; set only for Weekly
	Location  *time.Location
}

// FieldProblem is one thing wrong with one settings field, named as in the
// settings JSON so the UI can show the message next to the field.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every problem Parse found, not just the first, so an
// admin can fix the whole form in one go.
type ValidationError struct {
	Problems []FieldProblem
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Message
	}
	return "invalid schedule: " + strings.Join(parts, "; ")
}

var weekdays = map[string]time.Weekday{
	"sunday":    time.Sunday,
	"monday":    time.Monday,
	"tuesday":   time.Tuesday,
	"wednesday": time.Wednesday,
	"thursday":  time.Thursday,
	"friday":    time.Friday,
	"saturday":  time.Saturday,
}

// Parse validates step 1 schedule settings. The weekday is required only for
// weekly schedules and ignored otherwise (the UI may keep a stale one when the
// admin switches frequency). Surrounding white space is ignored everywhere.
func Parse(frequency, timeOfDay, weekday, timeZone string) (Spec, error) {
	var s Spec
	var problems []FieldProblem
	add := func(field, msg string) { problems = append(problems, FieldProblem{field, msg}) }

	s.Frequency = strings.TrimSpace(frequency)
	switch s.Frequency {
	case Hourly, Daily, Weekly:
	case "":
		add("frequency", `choose how often to import: "hourly", "daily" or "weekly"`)
	default:
		add("frequency", fmt.Sprintf(`%q is not a frequency; use "hourly", "daily" or "weekly"`, frequency))
	}

	s.TimeOfDay = strings.TrimSpace(timeOfDay)
	if _, _, err := parseClock(s.TimeOfDay); err != nil {
		add("timeOfDay", err.Error())
	}

	if s.Frequency == Weekly {
		s.Weekday = strings.ToLower(strings.TrimSpace(weekday))
		if s.Weekday == "" {
			add("weekday", "a weekly import needs a day of the week, e.g. \"monday\"")
		} else if _, ok := weekdays[s.Weekday]; !ok {
			add("weekday", fmt.Sprintf("%q is not a day of the week; use monday to sunday", weekday))
		}
	}

	tz := strings.TrimSpace(timeZone)
	switch tz {
	case "":
		add("timeZone", `choose a time zone by its IANA name, e.g. "Europe/London"`)
	case "Local":
		// "Local" is whatever zone the server runs in (UTC on Lambda), not the
		// admin's: accepting it would silently move their schedule.
		add("timeZone", `"Local" is the server's zone, not yours; use an IANA name such as "Europe/London"`)
	default:
		loc, err := time.LoadLocation(tz)
		if err != nil {
			add("timeZone", fmt.Sprintf(`%q is not a known IANA time zone; use a name such as "Europe/London" or "America/New_York"`, timeZone))
		} else {
			s.Location = loc
		}
	}

	if len(problems) > 0 {
		return Spec{}, &ValidationError{Problems: problems}
	}
	return s, nil
}

// parseClock reads "HH:MM" strictly: two digits each, 00:00 to 23:59. It is
// strict so that what is stored is exactly what the admin sees.
func parseClock(v string) (hour, minute int, err error) {
	bad := errors.New(`use a 24-hour time "HH:MM" from 00:00 to 23:59, e.g. "02:00"`)
	if len(v) != 5 || v[2] != ':' {
		return 0, 0, bad
	}
	for _, i := range []int{0, 1, 3, 4} {
		if v[i] < '0' || v[i] > '9' {
			return 0, 0, bad
		}
	}
	hour = int(v[0]-'0')*10 + int(v[1]-'0')
	minute = int(v[3]-'0')*10 + int(v[4]-'0')
	if hour > 23 || minute > 59 {
		return 0, 0, bad
	}
	return hour, minute, nil
}

// Next returns the first slot strictly after `after`, in UTC. See the package
// documentation for what happens around daylight-saving changes.
func (s Spec) Next(after time.Time) time.Time {
	hour, minute, err := parseClock(s.TimeOfDay)
	if err != nil || s.Location == nil {
		return time.Time{}
	}
	switch s.Frequency {
	case Hourly:
		return s.nextHourly(after, minute)
	case Daily:
		return s.nextDaily(after, hour, minute, func(time.Weekday) bool { return true })
	case Weekly:
		wd, ok := weekdays[s.Weekday]
		if !ok {
			return time.Time{}
		}
		return s.nextDaily(after, hour, minute, func(d time.Weekday) bool { return d == wd })
	}
	return time.Time{}
}

// nextHourly finds the first instant after `after` at which the local clock
// shows the chosen minute with zero seconds. Within one zone period (constant UTC offset)
// such instants are exactly one real hour apart, so it steps hour by hour
// inside the period of `after` and, if the period ends first, starts again
// from the transition. Working per period rather than in UTC is what makes
// half- and quarter-hour offsets (Asia/Kolkata, Asia/Kathmandu) and
// half-hour DST shifts (Australia/Lord_Howe) land on the local minute.
func (s Spec) nextHourly(after time.Time, minute int) time.Time {
	from := after
	for {
		l := from.In(s.Location)
		_, end := l.ZoneBounds()
		intoHour := time.Duration(l.Minute())*time.Minute +
			time.Duration(l.Second())*time.Second +
			time.Duration(l.Nanosecond())
		c := from.Add(-intoHour + time.Duration(minute)*time.Minute)
		for c.Before(from) || !c.After(after) {
			c = c.Add(time.Hour)
		}
		if end.IsZero() || c.Before(end) {
			return c.UTC()
		}
		from = end
	}
}

// nextDaily returns the first resolved local slot after `after` on a day that
// matches. It starts a day before the local date of `after` because a slot
// resolved forward out of a gap that spans midnight can belong to the
// previous local date. The loop always ends: a daily slot is found within
// two days and a weekly one within nine.
func (s Spec) nextDaily(after time.Time, hour, minute int, matches func(time.Weekday) bool) time.Time {
	y, m, d := after.In(s.Location).Date()
	for i := -1; ; i++ {
		day := time.Date(y, m, d+i, 0, 0, 0, 0, time.UTC)
		if !matches(day.Weekday()) {
			continue
		}
		c := resolve(s.Location, time.Date(y, m, d+i, hour, minute, 0, 0, time.UTC))
		if c.After(after) {
			return c.UTC()
		}
	}
}

// resolve turns a local wall-clock time (carried in a UTC Time, as if the
// zone were UTC) into an instant in loc, choosing deliberately where
// time.Date leaves the choice unspecified:
//   - a wall time that occurs twice resolves to its first occurrence;
//   - a wall time that does not occur resolves to the end of the gap, the
//     first valid instant after it.
//
// It walks the zone periods (spans of constant offset) in order, starting
// safely before any instant that could show this wall time, and stops at the
// first period whose wall-clock range reaches past it. If that period's range
// starts at or before the wall time, the wall time occurs in it (and, being
// the first such period, this is the first occurrence); otherwise the wall
// time fell into the gap before the period, which starts at the transition.
func resolve(loc *time.Location, wall time.Time) time.Time {
	// Real offsets lie within about -12h..+15h (historic local mean times
	// included); starting 26 hours before the wall time as UTC is before any
	// instant that could show it.
	t := wall.Add(-26 * time.Hour)
	for {
		l := t.In(loc)
		_, offset := l.Zone()
		off := time.Duration(offset) * time.Second
		start, end := l.ZoneBounds()
		if end.IsZero() || end.UTC().Add(off).After(wall) {
			if start.IsZero() || !start.UTC().Add(off).After(wall) {
				return wall.Add(-off)
			}
			return start
		}
		t = end
	}
}

// Spread returns this tenant's fixed delay after each slot. Without it, every
// tenant that keeps the default 02:00 becomes due in the same minute and the
// import queue, PeopleHR's API and the email sender all see one spike; with
// it, 10,000 tenants land at most a few per second. The offset is an FNV-1a
// hash of the tenant id, so it is the same on every run and every host and
// needs no storage, at 1-second granularity within a window: 15 minutes for
// daily and weekly imports (admins think of them as "about 2 o'clock"), and 5
// minutes for hourly ones so a run never drifts far into the hour it belongs
// to.
func (s Spec) Spread(tenantID string) time.Duration {
	window := 15 * time.Minute
	if s.Frequency == Hourly {
		window = 5 * time.Minute
	}
	h := fnv.New64a()
	h.Write([]byte(tenantID)) // a hash.Hash never returns an error
	return time.Duration(h.Sum64()%uint64(window/time.Second)) * time.Second
}
