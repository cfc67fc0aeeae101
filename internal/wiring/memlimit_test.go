package wiring

import "testing"

func TestMemoryLimit(t *testing.T) {
	for _, tt := range []struct {
		name      string
		size, set string
		want      int64
	}{
		{"1024 MB function", "1024", "", 966367641},
		{"256 MB function", "256", "", 241591910},
		{"GOMEMLIMIT set explicitly", "1024", "500MiB", 0},
		{"not on Lambda", "", "", 0},
		{"a size that is not a number", "lots", "", 0},
		{"no memory", "0", "", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": tt.size, "GOMEMLIMIT": tt.set}
			if got := memoryLimit(func(k string) string { return env[k] }); got != tt.want {
				t.Errorf("memoryLimit = %d, want %d", got, tt.want)
			}
		})
	}
}
