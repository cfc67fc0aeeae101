// Package bench measures how close an import comes to the least work it
// could do. Each figure is set beside a floor measured in the same run on
// the same emulator: the same member items written with plain
// BatchWriteItem, the feed fetched and the members read once, a plain
// streaming decode of the same bytes, a naive whole-body decode.
//
// `make bench` runs cmd/bench, which starts the local stack and prints the
// table; engine_test.go holds the engine's Go benchmarks for benchstat.
// Nothing here runs in `make test`, and no function imports it.
package bench
