// Command mailer is the Lambda that sends welcome, summary and
// re-authorization emails from the mail queue, each once.
package main

import (
	"log/slog"
	"time"

	"github.com/peoplesync/peoplesync/internal/sqsbatch"
	"github.com/peoplesync/peoplesync/internal/wiring"
)

func main() {
	wiring.Start(wiring.MailerEnv, func(c wiring.Clients, env map[string]string, log *slog.Logger) (any, error) {
		m, err := wiring.Mailer(c, env, log, time.Now)
		if err != nil {
			return nil, err
		}
		return sqsbatch.Handler(log, m.Handle), nil
	})
}
