package engine

// Conflict is a change a store did not apply because the stored items were
// not what the plan expected: another writer got there first. It is not an
// overwrite: the next run plans against what is stored and tries again.
type Conflict struct {
	Change *Change
	Reason string
}
