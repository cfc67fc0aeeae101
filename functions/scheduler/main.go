// Command scheduler is the Lambda the EventBridge schedule fires: it queues
// the imports whose slot has come.
package main

import (
	"log/slog"
	"time"

	"github.com/peoplesync/peoplesync/internal/wiring"
)

func main() {
	wiring.Start(wiring.SchedulerEnv, func(c wiring.Clients, env map[string]string, log *slog.Logger) (any, error) {
		s, err := wiring.Scheduler(c, env, log, time.Now)
		if err != nil {
			return nil, err
		}
		return s.Handle, nil
	})
}
