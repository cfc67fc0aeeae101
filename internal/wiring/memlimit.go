package wiring

import "strconv"

// memoryLimit is the Go runtime's soft memory limit for a function (what
// debug.SetMemoryLimit takes): 90% of the function's memory size
// (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, in MB), so the collector works harder
// as a large import nears the size instead of the function being killed
// over it, the last 10% left for what the runtime does not count (the
// binary, thread stacks outside the heap). 0, meaning leave the runtime's
// own, when GOMEMLIMIT is set (the runtime has read it) or the size is
// not known (not on Lambda).
func memoryLimit(getenv func(string) string) int64 {
	if getenv("GOMEMLIMIT") != "" {
		return 0
	}
	mb, err := strconv.ParseInt(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), 10, 64)
	if err != nil || mb <= 0 {
		return 0
	}
	return mb << 20 * 9 / 10
}
