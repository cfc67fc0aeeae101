// Package schedule turns an integration's step 1 settings (frequency, local
// time of day, weekday, IANA time zone) into the instants at which scheduled
// imports become due.
//
// It is pure: no I/O and no clock. Callers pass the instant they care about
// and get the next slot back in UTC, so the same code serves the scheduler,
// the API ("next import at ...") and the tests, which use fixed instants.
//
// Slots follow the admin's wall clock across daylight-saving changes:
//
//   - daily and weekly slots whose local time does not exist that day (the
//     spring-forward gap) run once, at the instant the gap ends;
//   - daily and weekly slots whose local time occurs twice (the fall-back
//     overlap) run once, at the first occurrence;
//   - hourly slots are every real hour at the chosen local minute, so the
//     repeated hour of a fall-back gets its own slot and the missing hour of a
//     spring-forward has none.
//
// Spread gives each tenant a fixed offset within a short window so that many
// tenants sharing a time do not all become due in the same minute.
//
// The time/tzdata package is linked in because Lambda's provided.al2023
// runtime ships without a zoneinfo database.
package schedule
