// Package peoplehr owns the conversation with the PeopleHR API: it sends the
// GetAllEmployeeDetail call, decodes the answer as a stream, flattens each
// employee into the map the sync engine maps from, and turns PeopleHR's
// in-band statuses and transport failures into a few named errors
// (ErrInvalidKey, ErrMissingPermission, ErrRateLimited, ErrUnavailable)
// that setup and the import branch on. Outages are retried with backoff;
// PeopleHR's rate limit is waited out apart, as long as the call's
// deadline allows. FetchEmployee re-reads one employee
// (GetEmployeeDetailById) when a change notification names it, through
// the same retries and decoder, and says ErrEmployeeNotFound when
// PeopleHR no longer knows the employee.
//
// The whole directory comes back in one response with no paging, so the body
// is never held in memory: records are handed to the caller one at a time and
// dropped. BankDetail, national identifiers, salary and right-to-work data
// (engine.Withheld) are skipped token by token and never reach a record, a
// log line or an error. The API key travels in the request body, so neither
// the body nor the key ever appears in an error or a log line either.
package peoplehr
