// Package integration holds a tenant's PeopleHR integration and its import
// runs as the service stores and reports them: settings as the admin chose
// them, the mapping, the sealed key's metadata, and each run's status,
// progress and counts. The ports a run needs are declared by their users
// (worker, api); this package has no I/O.
package integration
