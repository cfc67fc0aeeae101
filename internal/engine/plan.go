package engine

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Kind is what a change does to a member.
type Kind string

const (
	KindCreate     Kind = "create"
	KindUpdate     Kind = "update"
	KindClose      Kind = "close"
	KindReactivate Kind = "reactivate"
	// KindRelink moves a member to a new employee id: PeopleHR changed the
	// id, and the same person (email and name) came back under the new one.
	KindRelink Kind = "relink"
)

// Change is one member write the run must make.
type Change struct {
	Kind Kind
	// Row is the record's 1-based position in the feed; 0 for a member
	// closed because it is missing from the feed.
	Row int
	// Before is the stored member the change was planned against; nil for a
	// create. Writes are conditional on its Version, so a replay is a no-op.
	Before *Member
	After  Member
	// Fields lists the fields whose value the change sets or alters.
	Fields []Field
}

// EmployeeID is the member the change writes.
func (c *Change) EmployeeID() string { return c.After.EmployeeID() }

// ReleasedEmail is the address the change gives up, or "". A relink keeps
// the address and changes its owner: see the store.
func (c *Change) ReleasedEmail() string {
	if c.Before == nil || !c.Before.holdsEmail() || c.Kind == KindRelink {
		return ""
	}
	if c.After.holdsEmail() && c.After.Email() == c.Before.Email() {
		return ""
	}
	return c.Before.Email()
}

// ClaimedEmail is the address the change reserves, or "".
func (c *Change) ClaimedEmail() string {
	if !c.After.holdsEmail() || c.Kind == KindRelink {
		return ""
	}
	if c.Before != nil && c.Before.holdsEmail() && c.Before.Email() == c.After.Email() {
		return ""
	}
	return c.After.Email()
}

// Severity grades an Issue.
type Severity string

const (
	SeverityError   Severity = "error"   // the record was skipped
	SeverityWarning Severity = "warning" // the record was applied, with a caveat
)

// Issue is one line of the error file.
type Issue struct {
	Row        int
	EmployeeID string
	Field      string
	Message    string
	Severity   Severity
}

// Counts are a run's impact, as SPEC section 2.7 names them.
type Counts struct {
	Created        int `json:"created"`
	Updated        int `json:"updated"`
	Unchanged      int `json:"unchanged"`
	Closed         int `json:"closed"`
	Reactivated    int `json:"reactivated"`
	SkippedLeavers int `json:"skippedLeavers"`
	OutOfScope     int `json:"outOfScope"`
	Errors         int `json:"errors"`
	Warnings       int `json:"warnings"`
	Total          int `json:"total"`
}

// Plan is everything one run decided. A held plan must not be applied until
// an admin approves it.
type Plan struct {
	Changes    []Change
	Issues     []Issue
	Counts     Counts
	Held       bool
	HeldReason string
}

// Planner collects a feed record by record, keeping only the mapped values,
// and then plans against the stored members. It is not safe for concurrent use.
type Planner struct {
	src      compiled
	settings Settings
	layout   string
	today    string
	rows     int
	cands    []candidate
	byID     map[string]int
	issues   []Issue
	// closedBefore are closures already made since the last full import
	// (AlsoClosed), held against the safeguard with this plan's.
	closedBefore int
	// partial marks a feed of some employees only (Partial); gone are
	// the ids of it PeopleHR no longer knows.
	partial bool
	gone    map[string]bool
}

type candidate struct {
	row int
	// id is the employee id, sharing values' memory once they are packed.
	id          string
	values      Values
	keep        uint32 // fields whose stored value stays: unmapped or unreadable
	active      bool
	leavingDate string
	skipped     bool // a row error was written; the member is left alone
	// outOfScope records are kept only by id, so that a duplicate id is
	// found whichever copy is in scope, and their member is handled as
	// missing.
	outOfScope bool
}

// NewPlanner checks the mapping and settings and fixes "today" in the
// tenant's time zone at now.
func NewPlanner(m Mapping, s Settings, now time.Time) (*Planner, error) {
	src, err := m.compile()
	if err != nil {
		return nil, err
	}
	if problems := s.Validate(); len(problems) > 0 {
		return nil, &SettingsError{Problems: problems}
	}
	return &Planner{
		src:      src,
		settings: s,
		layout:   dateLayout(s.DateFormat),
		today:    Today(now, s.Location),
		byID:     make(map[string]int),
	}, nil
}

// AlsoClosed counts n closures made since the last full import (runs of
// PeopleHR's change notifications, within a day) against the mass change
// safeguard with this plan's own, among the members active before them:
// a burst of leavers split over several runs is held as one import of
// them all would be.
func (p *Planner) AlsoClosed(n int) { p.closedBefore = max(0, n) }

// Partial makes the feed one of some employees only: those a change run
// read one by one. A partial feed says nothing of the members it does not
// mention, so they are left alone, but for those named Gone.
func (p *Planner) Partial() { p.partial = true }

// Gone records, in a partial feed, an employee PeopleHR no longer knows
// (deleted, or its id changed): the member is missing from PeopleHR (SPEC
// 2.4: a warning, or a close when the tenant opted in), and a record
// carrying its email and names is a relink.
func (p *Planner) Gone(employeeID string) {
	p.Partial()
	if p.gone == nil {
		p.gone = map[string]bool{}
	}
	p.gone[employeeID] = true
}

// unmentioned reports whether the feed says m is not in PeopleHR: a full
// feed by leaving it out, a partial one by naming it gone.
func (p *Planner) unmentioned(m *Member) bool {
	if _, seen := p.byID[m.EmployeeID()]; seen {
		return false
	}
	return !p.partial || p.gone[m.EmployeeID()]
}

// RelinkCandidates are, in a partial feed, the stored members a relink
// could move that the feed has not settled: not read, not named gone, and
// holding the email of a new record with the same names. Reading each
// (adding its record, or naming it Gone) before Plan lets a change run
// relink an id changed in PeopleHR as a full import would, or refuse a
// newcomer the address a member still holds.
func (p *Planner) RelinkCandidates(members []Member) []string {
	if !p.partial {
		return nil
	}
	holders := map[string]*Member{}
	stored := make(map[string]bool, len(members))
	for i := range members {
		m := &members[i]
		stored[m.EmployeeID()] = true
		if _, seen := p.byID[m.EmployeeID()]; !seen && !p.gone[m.EmployeeID()] && m.holdsEmail() {
			holders[m.Email()] = m
		}
	}
	var out []string
	for i := range p.cands {
		c := &p.cands[i]
		if c.skipped || c.outOfScope || !c.active || stored[c.id] {
			continue
		}
		if m, ok := holders[c.values.Get(Email)]; ok && sameName(&m.Values, &c.values) {
			out = append(out, m.EmployeeID())
			delete(holders, c.values.Get(Email))
		}
	}
	return out
}

// Today is the date the planner judges leaving dates against.
func (p *Planner) Today() string { return p.today }

// Rows is how many records were added.
func (p *Planner) Rows() int { return p.rows }

// Add maps and validates one feed record. The record is not retained.
func (p *Planner) Add(rec Record) {
	p.rows++
	row := p.rows
	id := clean(rec[p.src.sources[EmployeeID]])
	switch {
	case id == "":
		p.issue(row, "", EmployeeID.String(), SeverityError, "the employee id is blank: the record was skipped")
		return
	case runeLen(id) > EmployeeID.MaxLen():
		p.issue(row, truncate(id, EmployeeID.MaxLen()), EmployeeID.String(), SeverityError,
			fmt.Sprintf("the employee id is longer than %d characters: the record was skipped", EmployeeID.MaxLen()))
		return
	case id == "." || id == "..":
		// A URL path segment of "." or ".." is resolved away by browsers
		// (even escaped), so /members/{id} could never open this member.
		p.issue(row, id, EmployeeID.String(), SeverityError,
			fmt.Sprintf("the employee id %s is a path step, not an id: the record was skipped", quote(id)))
		return
	case strings.ContainsFunc(id, func(r rune) bool { return unicode.Is(unicode.Cf, r) }):
		// Cleaning has removed controls and the invisible characters; the
		// format characters left (bidi overrides and marks, tags) would make
		// the id read differently from what it is wherever it is shown. The
		// id column stays blank and the message shows it escaped.
		p.issue(row, "", EmployeeID.String(), SeverityError,
			fmt.Sprintf("the employee id %s contains invisible formatting characters: the record was skipped", quote(id)))
		return
	}
	c := candidate{row: row, id: id, outOfScope: outOfScope(p.settings.Scope, rec)}
	var vals [NumFields]string
	vals[EmployeeID] = id
	if !c.outOfScope {
		p.read(&c, &vals, rec)
	}
	// Packed, the values are one copy apart from the record's strings,
	// which are let go.
	c.values = Pack(vals)
	c.id = c.values.Get(EmployeeID)
	p.register(c)
}

// read maps and checks the fields of an in-scope record into vals.
func (p *Planner) read(c *candidate, vals *[NumFields]string, rec Record) {
	for f := Email; f < NumFields; f++ {
		src := p.src.sources[f]
		if src == "" {
			c.keep |= 1 << f
			continue
		}
		vals[f] = p.mapField(c, f, src, clean(rec[src]))
	}
	if raw := clean(rec[SourceLeavingDate]); raw != "" && !c.skipped {
		d, ok := parseDate(raw, standardDateLayout)
		if !ok {
			p.reject(c, SourceLeavingDate, fmt.Sprintf("the leaving date %s is not a yyyy-MM-dd date: the record was skipped", quote(raw)))
		}
		c.leavingDate = d
	}
	c.active = isActive(clean(rec[SourceEmployeeStatus]), c.leavingDate, p.today)
}

// mapField is the value field f keeps of the source's v.
func (p *Planner) mapField(c *candidate, f Field, src, v string) string {
	spec := fieldSpecs[f]
	switch spec.kind {
	case kindEmail:
		v = toLower(v)
		switch {
		case c.skipped:
		case v == "":
			p.reject(c, f.String(), fmt.Sprintf("the email address (%s) is blank: the record was skipped", src))
		case !ValidEmail(v):
			p.reject(c, f.String(), fmt.Sprintf("%s is not a valid email address: the record was skipped", quote(v)))
		}
	case kindDate:
		if v == "" {
			break
		}
		layout, shown := p.layout, p.settings.DateFormat
		if structuredDateSource(src) {
			layout, shown = standardDateLayout, DefaultDateFormat
		}
		d, ok := parseDate(v, layout)
		if !ok {
			c.keep |= 1 << f
			p.issue(c.row, c.id, f.String(), SeverityWarning,
				fmt.Sprintf("%s is not a date in the format %s: the field was left unchanged", quote(v), shown))
			return ""
		}
		v = d
	default:
		if runeLen(v) > spec.maxLen {
			v = cut(v, spec.maxLen)
			p.issue(c.row, c.id, f.String(), SeverityWarning,
				fmt.Sprintf("the value was longer than %d characters and was cut", spec.maxLen))
		}
	}
	return v
}

// reject writes the row's one error and marks the record skipped.
func (p *Planner) reject(c *candidate, field, msg string) {
	if c.skipped {
		return
	}
	c.skipped = true
	p.issue(c.row, c.id, field, SeverityError, msg)
}

// register files the candidate under its id; an id seen twice skips every
// record that carries it, in scope or not, so neither can overwrite the
// other and a copy moved out of scope cannot hide the clash.
func (p *Planner) register(c candidate) {
	id := c.id
	first, dup := p.byID[id]
	if !dup {
		p.byID[id] = len(p.cands)
		p.cands = append(p.cands, c)
		return
	}
	msg := fmt.Sprintf("employee id %s appears more than once in PeopleHR (rows %d and %d): both were skipped", quote(id), p.cands[first].row, c.row)
	p.reject(&p.cands[first], EmployeeID.String(), msg)
	p.issue(c.row, id, EmployeeID.String(), SeverityError, msg)
}

func (p *Planner) issue(row int, id, field string, sev Severity, msg string) {
	p.issues = append(p.issues, Issue{Row: row, EmployeeID: id, Field: field, Message: msg, Severity: sev})
}

// proposal is a decision before email uniqueness is settled.
type proposal struct {
	// cand is the record's candidate; nil for a member missing from the
	// feed.
	cand *candidate
	// change is where the proposal's change is in planning.changes, -1
	// when it has none (unchanged, a skipped leaver).
	change   int
	outcome  outcome
	rejected bool
}

// planning is one Plan's work. The changes are kept apart from the
// proposals, in proposal order, so that the plan's changes are these very
// ones with the rejected taken out, not a copy: a 100,000-employee first
// import's changes are most of a run's memory, and a copy would hold them
// twice (issue 18).
type planning struct {
	props   []proposal
	changes []Change
}

// propose adds a proposal, with its change when it makes one. The change
// is appended as the proposal is, so changes stay in proposal order.
func (w *planning) propose(pr proposal, c *Change) {
	pr.change = -1
	if c != nil {
		pr.change = len(w.changes)
		w.changes = append(w.changes, *c)
	}
	w.props = append(w.props, pr)
}

// changeOf is pr's change, or nil. The pointer is good until the next
// propose.
func (w *planning) changeOf(pr *proposal) *Change {
	if pr.change < 0 {
		return nil
	}
	return &w.changes[pr.change]
}

// applied is the changes of the proposals not rejected, in their order,
// compacted where they lie.
func (w *planning) applied() []Change {
	n := 0
	for i := range w.props {
		if pr := &w.props[i]; pr.change >= 0 && !pr.rejected {
			w.changes[n] = w.changes[pr.change]
			n++
		}
	}
	clear(w.changes[n:])
	out := w.changes[:n]
	if cap(out) > 2*n+64 {
		// Mostly unused (many rejected, or grown by appends): a copy of
		// the few frees the rest.
		out = append([]Change(nil), out...)
	}
	return out
}

type outcome uint8

const (
	outChange outcome = iota
	outUnchanged
	outSkippedLeaver
)

// Plan decides every change against the stored members. It may be called
// once per Planner.
func (p *Planner) Plan(members []Member) Plan {
	stored := make(map[string]*Member, len(members))
	active := 0
	for i := range members {
		stored[members[i].EmployeeID()] = &members[i]
		if members[i].Status != StatusLeaver {
			active++
		}
	}

	// Every record without a member is a create (or a relink in its
	// place) or a skipped leaver: sized for them, a first import's
	// changes are never grown by appends, which would hold them twice
	// over for a moment.
	creates := 0
	for i := range p.cands {
		if c := &p.cands[i]; !c.skipped && !c.outOfScope && c.active && stored[c.id] == nil {
			creates++
		}
	}
	w := &planning{props: make([]proposal, 0, len(p.cands)), changes: make([]Change, 0, creates)}
	outOfScope := 0
	for i := range p.cands {
		c := &p.cands[i]
		switch {
		case c.skipped:
		case c.outOfScope:
			outOfScope++
		default:
			pr, change := p.decide(c, stored[c.id])
			w.propose(pr, change)
		}
	}
	p.relink(w, members)
	p.missing(w, members)
	p.settleEmails(w, members)
	p.refusedRelinks(w)

	plan := Plan{}
	unapplied := make(map[int]bool)
	for i := range p.cands {
		if c := &p.cands[i]; c.skipped {
			unapplied[c.row] = true
		}
	}
	for i := range w.props {
		pr := &w.props[i]
		switch {
		case pr.rejected:
			unapplied[pr.cand.row] = true
		case pr.outcome == outUnchanged:
			plan.Counts.Unchanged++
		case pr.outcome == outSkippedLeaver:
			unapplied[pr.cand.row] = true
			plan.Counts.SkippedLeavers++
		default:
			plan.Counts.Adjust(w.changeOf(pr).Kind, 1)
		}
	}
	plan.Changes = w.applied()
	plan.Issues = p.applicableIssues(unapplied)
	for _, is := range plan.Issues {
		if is.Severity == SeverityError {
			plan.Counts.Errors++
		} else {
			plan.Counts.Warnings++
		}
	}
	plan.Counts.Total = p.rows
	plan.Counts.OutOfScope = outOfScope
	plan.Held, plan.HeldReason = p.massChange(plan.Counts.Closed+p.closedBefore, active+p.closedBefore)
	// The records are in the plan now: let them go before the run applies
	// it (Plan is called once).
	p.cands, p.byID = nil, nil
	return plan
}

// applicableIssues sorts the issues by row and drops the warnings of
// records that were not applied: a skipped record gets its error and
// nothing else, since "the value was cut" of a record never written would
// only mislead.
func (p *Planner) applicableIssues(unapplied map[int]bool) []Issue {
	out := p.issues[:0]
	for _, is := range p.issues {
		if is.Severity == SeverityError || !unapplied[is.Row] {
			out = append(out, is)
		}
	}
	slices.SortStableFunc(out, func(a, b Issue) int { return a.Row - b.Row })
	return out
}

// Adjust counts delta more (or, negative, fewer) changes of kind k: the
// worker takes back changes that were planned but not applied.
func (c *Counts) Adjust(k Kind, delta int) {
	switch k {
	case KindCreate:
		c.Created += delta
	case KindUpdate, KindRelink:
		c.Updated += delta
	case KindClose:
		c.Closed += delta
	case KindReactivate:
		c.Reactivated += delta
	}
}

// decide applies SPEC 2.3 to one valid record: the proposal, and its
// change if it makes one.
func (p *Planner) decide(c *candidate, m *Member) (proposal, *Change) {
	if m == nil {
		if !c.active {
			return proposal{cand: c, outcome: outSkippedLeaver}, nil
		}
		after := Member{Values: c.values, Status: StatusActive, Welcome: WelcomeNotSent}
		if p.settings.WelcomeEmail {
			after.Status, after.Welcome = StatusInvited, p.welcomeFor(&c.values)
		}
		return proposal{cand: c}, &Change{Kind: KindCreate, Row: c.row, After: after, Fields: setFields(&after.Values)}
	}
	after, kind := p.apply(c, m)
	changed := diffFields(&m.Values, &after.Values)
	if kind == KindUpdate && len(changed) == 0 && after.LeftOn == m.LeftOn && after.Welcome == m.Welcome {
		return proposal{cand: c, outcome: outUnchanged}, nil
	}
	return proposal{cand: c}, &Change{Kind: kind, Row: c.row, Before: m, After: after, Fields: changed}
}

// apply is the stored member m brought in step with the record: the
// record's values except those it leaves unchanged (unmapped fields, text
// dates that did not parse), its status and leaving date, and the welcome
// re-evaluated. Every other part of m (acceptance, history, the employee id)
// is carried as it is.
func (p *Planner) apply(c *candidate, m *Member) (Member, Kind) {
	after := *m
	after.Values = merge(c, &m.Values)
	kind := KindUpdate
	wasActive := m.Status != StatusLeaver
	switch {
	case wasActive && !c.active:
		kind = KindClose
		after.Status = StatusLeaver
		after.LeftOn = leftOn(c, p.today, "")
		p.purge(&after)
	case !wasActive && c.active:
		kind = KindReactivate
		after.LeftOn, after.PurgeOn, after.PurgeAt = "", "", time.Time{}
		after.Status = StatusActive
		if !m.Accepted && p.settings.WelcomeEmail {
			// Never accepted: invited again, but a welcome is owed only to
			// one who never had one. A welcome sent, sending or refused is
			// kept as it is, or every scope-out and scope-in (or leave and
			// rehire) would mail the member again (issue 15).
			after.Status = StatusInvited
			if m.Welcome == WelcomeNotSent {
				after.Welcome = p.welcomeFor(&after.Values)
			}
		}
	case !wasActive:
		after.LeftOn = leftOn(c, p.today, m.LeftOn)
	}
	if after.Welcome == WelcomeScheduled && after.Status != StatusLeaver {
		after.Welcome = p.welcomeFor(&after.Values) // the start date came, or moved
	}
	return after, kind
}

// merge is the stored values brought in step with the candidate's: its
// values but for those it leaves unchanged (c.keep).
func merge(c *candidate, stored *Values) Values {
	same := true
	for f := range NumFields {
		if c.keep&(1<<f) != 0 && stored.Get(f) != c.values.Get(f) {
			same = false
			break
		}
	}
	if same {
		// The usual case (kept fields blank on both sides): no repacking
		// for every member of a resync.
		return c.values
	}
	vals := c.values.Unpack()
	for f := range NumFields {
		if c.keep&(1<<f) != 0 {
			vals[f] = stored.Get(f)
		}
	}
	return Pack(vals)
}

// welcomeFor is the welcome state of a member with these values: owed now,
// or scheduled for a start date still ahead when the tenant chose that.
func (p *Planner) welcomeFor(v *Values) Welcome {
	if p.settings.WelcomeOnStartDate && v.Get(StartDate) > p.today {
		return WelcomeScheduled
	}
	return WelcomeOwed
}

// leftOn is the leaving date to record: PeopleHR's if it has passed, else
// the one already recorded, else today (inactive by status alone).
func leftOn(c *candidate, today, recorded string) string {
	switch {
	case c.leavingDate != "" && c.leavingDate <= today:
		return c.leavingDate
	case recorded != "":
		return recorded
	default:
		return today
	}
}

// missing handles members the feed does not mention (a partial feed: names
// gone), or mentions only out of scope (SPEC 2.4), unless a relink moved
// them to a new id. A member
// whose record was skipped is not missing: it is left alone.
func (p *Planner) missing(w *planning, members []Member) {
	moved := make(map[string]bool)
	for i := range w.props {
		if c := w.changeOf(&w.props[i]); c != nil && c.Kind == KindRelink {
			moved[c.Before.EmployeeID()] = true
		}
	}
	for i := range members {
		m := &members[i]
		if m.Status == StatusLeaver || moved[m.EmployeeID()] {
			continue
		}
		outOfScope := false
		if at, seen := p.byID[m.EmployeeID()]; seen {
			if c := &p.cands[at]; c.skipped || !c.outOfScope {
				continue
			}
			outOfScope = true
		} else if !p.unmentioned(m) {
			continue
		}
		if c := p.missingMember(m, outOfScope); c != nil {
			w.propose(proposal{}, c)
		}
	}
}

// missingMember is SPEC 2.4 for one member: a warning (and nil), or the
// closure when the tenant opted in.
func (p *Planner) missingMember(m *Member, outOfScope bool) *Change {
	if !p.settings.CloseMissingMembers {
		why := "not found in PeopleHR"
		if outOfScope {
			why = "out of the programme's scope"
		}
		p.issue(0, m.EmployeeID(), "", SeverityWarning, why+": the member was left as it is")
		return nil
	}
	after := *m
	after.Status = StatusLeaver
	after.LeftOn = p.today
	p.purge(&after)
	return &Change{Kind: KindClose, Before: m, After: after}
}

// purge schedules a closed member's deletion LeaverRetentionDays from
// today: the date the admin sees and the instant it begins in the tenant's
// zone, when the store lets the item expire.
func (p *Planner) purge(m *Member) {
	m.PurgeOn = AddDays(p.today, LeaverRetentionDays)
	m.PurgeAt = startOf(m.PurgeOn, p.settings.Location)
}

// PlanPurge sets the instant a leaver's PurgeOn begins in loc, if it is
// not set: a plan held before purge instants were planned has the date
// alone, and its approval must still let the item expire.
func PlanPurge(m *Member, loc *time.Location) {
	if m.PurgeOn != "" && m.PurgeAt.IsZero() {
		m.PurgeAt = startOf(m.PurgeOn, loc)
	}
}

// relink turns a create into a move of an existing member when PeopleHR
// changed an employee's id: the member's id is gone from the feed (not
// merely out of scope; in a partial feed, named gone), and a new id
// arrived in the same run with the same email and the same name. One account is kept (its welcome, acceptance and
// history) instead of one closed and another created, and it is brought in
// step with the record exactly as an update would be. When several new ids
// carry the gone member's address, the first with its name wins; the others
// stay creates and meet the address taken.
func (p *Planner) relink(w *planning, members []Member) {
	gone := map[string]*Member{}
	for i := range members {
		if m := &members[i]; p.unmentioned(m) && m.holdsEmail() {
			gone[m.Email()] = m
		}
	}
	for i := range w.props {
		pr := &w.props[i]
		c := w.changeOf(pr)
		if c == nil || c.Kind != KindCreate {
			continue
		}
		old, ok := gone[c.After.Email()]
		if !ok || !sameName(&old.Values, &c.After.Values) {
			continue
		}
		after, _ := p.apply(pr.cand, old) // both active: an update
		after.Values.Set(EmployeeID, pr.cand.id)
		*c = Change{Kind: KindRelink, Row: pr.cand.row, Before: old, After: after, Fields: diffFields(&old.Values, &after.Values)}
		delete(gone, old.Email())
	}
}

// refusedRelinks settles what the relinks came to once addresses were
// settled: a relink that stands is reported, and the member of a refused
// one is missing from the feed after all (its old id is gone).
func (p *Planner) refusedRelinks(w *planning) {
	for i := range w.props {
		pr := &w.props[i]
		c := w.changeOf(pr)
		if c == nil || c.Kind != KindRelink {
			continue
		}
		old := c.Before
		if pr.rejected {
			if missing := p.missingMember(old, false); missing != nil {
				w.propose(proposal{}, missing) // c is not used again
			}
			continue
		}
		p.issue(c.Row, c.EmployeeID(), EmployeeID.String(), SeverityWarning,
			fmt.Sprintf("the employee id changed from %s to %s in PeopleHR: the member was kept and moved to the new id", quote(old.EmployeeID()), quote(c.EmployeeID())))
	}
}

// sameName compares the names that identify a person, as a person reads
// them.
func sameName(a, b *Values) bool {
	return a.Get(LastName) != "" && sameText(a.Get(FirstName), b.Get(FirstName)) && sameText(a.Get(LastName), b.Get(LastName))
}

// settleEmails enforces one active member per address. Members whose record
// is absent or skipped keep their address. Then the claims are settled in
// order of right (claimRank), in feed order within a rank, and a later
// claimant is skipped with a row error, whatever the feed order: a newcomer
// listed before the member that holds the address is the one refused.
// Skipping a stored member makes its current address taken, which can
// displace an earlier claimant, so the pass repeats until nothing more is
// skipped.
func (p *Planner) settleEmails(w *planning, members []Member) {
	decided := make(map[string]bool, len(w.props))
	for i := range w.props {
		if c := w.changeOf(&w.props[i]); c != nil {
			decided[c.EmployeeID()] = true
			if b := c.Before; b != nil {
				decided[b.EmployeeID()] = true // a relinked member's old id
			}
		}
	}
	fixed := make(map[string]string)
	for i := range members {
		m := &members[i]
		if m.holdsEmail() && !decided[m.EmployeeID()] {
			fixed[m.Email()] = m.EmployeeID()
		}
	}
	for {
		holders := make(map[string]string, len(fixed)+len(w.props))
		for e, id := range fixed {
			holders[e] = id
		}
		for i := range w.props {
			if c := w.changeOf(&w.props[i]); w.props[i].rejected && c.Before != nil && c.Before.holdsEmail() {
				holders[c.Before.Email()] = c.Before.EmployeeID()
			}
		}
		again := false
		for rank := range claimRanks {
			for i := range w.props {
				pr := &w.props[i]
				c := w.changeOf(pr)
				if pr.rejected || c == nil || !c.After.holdsEmail() || claimRank(c) != rank {
					continue
				}
				id, email := c.EmployeeID(), c.After.Email()
				if owner, taken := holders[email]; taken && owner != id {
					pr.rejected = true
					p.issue(c.Row, id, Email.String(), SeverityError,
						fmt.Sprintf("%s is already the email of employee %s: the record was skipped", quote(email), owner))
					if b := c.Before; b != nil && b.holdsEmail() {
						again = true
					}
					continue
				}
				holders[email] = id
			}
		}
		if !again {
			return
		}
	}
}

// claimRanks is how many claimRank values there are.
const claimRanks = 4

// claimRank orders the claims on an address by right: 0, the member that
// holds it and whose record keeps it; 1, a relink, which moves the holder
// to its new id (an inference from email and names, so it yields to a
// record that says so outright); 2, a stored member taking back its own
// address (a rehired leaver); 3, every other claim (new members, changed
// emails), in feed order.
func claimRank(c *Change) int {
	switch {
	case c.Kind == KindRelink:
		return 1
	case c.Before == nil || c.Before.Email() != c.After.Email():
		return 3
	case c.Before.holdsEmail():
		return 0
	}
	return 2
}

// massChange applies the safeguard of SPEC 2.5: a run that would close more
// than the threshold (the tenant's percentage of active members, at least
// MinMassChange) is held. "More than" is compared exactly, in whole
// numbers: 6 closures of 55 members at 10% (5.5) is more, 5 of 50 is not.
func (p *Planner) massChange(closes, active int) (bool, string) {
	if p.rows == 0 && active > 0 && !p.partial {
		return true, fmt.Sprintf("PeopleHR returned no employees while %d members are active", active)
	}
	pct := p.settings.MassChangeThresholdPercent
	if closes <= MinMassChange || closes*100 <= active*pct {
		return false, ""
	}
	limit := strconv.FormatFloat(float64(active*pct)/100, 'f', -1, 64)
	if active*pct < MinMassChange*100 {
		limit = strconv.Itoa(MinMassChange)
	}
	return true, fmt.Sprintf("%d of %d active members would be closed, more than the limit of %s (%d%%, at least %d)",
		closes, active, limit, pct, MinMassChange)
}

// setFields are the fields v has a value for; diffFields those a and b
// differ in. Each is one allocation of its exact size: a first import
// keeps one per member.
func setFields(v *Values) []Field {
	return fieldsWhere(func(f Field) bool { return v.Get(f) != "" })
}

func diffFields(a, b *Values) []Field {
	return fieldsWhere(func(f Field) bool { return a.Get(f) != b.Get(f) })
}

func fieldsWhere(match func(Field) bool) []Field {
	var set uint32
	n := 0
	for f := range NumFields {
		if match(f) {
			set |= 1 << f
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]Field, 0, n)
	for f := range NumFields {
		if set&(1<<f) != 0 {
			out = append(out, f)
		}
	}
	return out
}

// Changed reports whether the run changed any member.
func (c Counts) Changed() bool {
	return c.Created+c.Updated+c.Closed+c.Reactivated > 0
}
