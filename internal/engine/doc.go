// Package engine owns the rules of one import: how a PeopleHR record maps onto
// a member, what makes a record invalid, and what a run must do to bring the
// stored members in step with the feed. It is pure: it takes records, members,
// settings and a clock reading and returns a Plan. It imports nothing from
// AWS, so every rule is testable in memory, and the same code backs the real
// run, the dry-run preview and the held-run approval.
package engine
