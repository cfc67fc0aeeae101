// Package dynamo is the DynamoDB store: one table, every partition key
// prefixed with the tenant id so no query can reach another tenant's items.
//
//	integration   T#<tenant>                 INTEGRATION
//	run slot      T#<tenant>                 ACTIVERUN      the run the API last queued: one queued or running
//	member        T#<tenant>#M               E#<employeeId>
//	email owner   T#<tenant>#EMAIL#<email>   EMAIL          one active member per address
//	run           T#<tenant>#R               R#<runId>      run ids sort by time
//	held change   T#<tenant>#PLAN#<runId>    C#<n>          a held run's exact plan
//
// Member writes are conditional (absent for a create, the planned version
// for the rest), so a replayed or concurrent write fails instead of
// doubling a member or undoing a newer change.
package dynamo
