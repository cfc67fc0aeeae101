// Package storetest is the store of tests that need no emulator. Memory
// keeps in memory what the DynamoDB store keeps in its table, under the
// same conditions: versions, one email owner per address, relinks, leases
// with expiry, cursors, held plans, runs, provisioning logs and mail
// claims. RunContract is the one suite of those rules; both stores pass it
// (internal/dynamo runs it on moto), so a test of the worker, the mailer,
// the scheduler or the API against Memory tests what runs in AWS.
package storetest
