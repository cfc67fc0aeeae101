// Package deploy holds what proves the service deployable with SAM: checks
// that template.yaml declares what the code needs and nothing more (each
// function's role names exactly the AWS operations its code can reach, on
// the resources it uses), and a runner for the built bootstrap binaries
// under the Lambda Runtime Interface Emulator, which the tests invoke with
// every sample in events/ against the local emulators.
//
// It is development tooling: no function imports it.
package deploy
