// Package peoplehrtest is a PeopleHR stand-in for tests and local runs. It
// owns the sandbox server (the /Employee actions the integration calls, API
// keys with or without the Employee permission, fault injection for retry
// and timeout paths), change notifications posted to a listener as
// PeopleHR's webhooks post them (JSON or form fields, with seeded drops,
// duplicates and reordering), a deterministic generator of realistic
// employees, and the demo tenant's fixture.
//
// The server writes the real wire format, quirks included: wrapped values
// with field-specific history keys, plain custom columns, nested objects,
// BankDetail filled in so tests can prove the client never reads it, and one
// field the Swagger file does not list. Responses are streamed record by
// record so large generated directories exercise the client's streaming
// decoder the way a real tenant would.
package peoplehrtest
