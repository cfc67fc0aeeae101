// Package worker runs one import for one tenant: fetch the PeopleHR feed,
// plan against the stored members, apply, write the error file and record
// the run. It talks to the outside only through the small ports declared
// here, which the Lambda and the local runner fill with AWS adapters.
package worker
