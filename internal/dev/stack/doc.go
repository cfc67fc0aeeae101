// Package stack runs the whole service on one machine: the AWS emulator
// with the template's resources, the PeopleHR sandbox, the functions built
// by the same wiring as the Lambdas, and in-process loops standing in for
// the SQS event source mappings. `make local` and the end-to-end tests share
// it.
package stack
