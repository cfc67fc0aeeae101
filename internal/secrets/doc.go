// Package secrets seals and opens tenants' PeopleHR API keys with KMS. The
// tenant id is the encryption context, so a key sealed for one tenant cannot
// be opened as another's, and CloudTrail shows whose key was used.
package secrets
