// Command worker is the Lambda that runs one import per SQS job.
package main

import (
	"log/slog"
	"time"

	"github.com/peoplesync/peoplesync/internal/sqsbatch"
	"github.com/peoplesync/peoplesync/internal/wiring"
)

func main() {
	wiring.Start(wiring.WorkerEnv, func(c wiring.Clients, env map[string]string, log *slog.Logger) (any, error) {
		w, err := wiring.Worker(c, env, log, time.Now)
		if err != nil {
			return nil, err
		}
		return sqsbatch.Handler(log, w.Handle), nil
	})
}
