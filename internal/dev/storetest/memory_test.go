package storetest_test

import (
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/storetest"
)

func TestMemoryKeepsTheContract(t *testing.T) {
	storetest.RunContract(t, func(_ *testing.T, now func() time.Time) storetest.Store { return storetest.NewMemory(now) })
}
