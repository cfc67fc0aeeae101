// Command api is the Lambda behind the HTTP API: the setup wizard, imports,
// history and members. API Gateway's JWT authorizer has checked the token;
// the handler reads the tenant and admin from the claims it passes on.
package main

import (
	"log/slog"
	"time"

	"github.com/peoplesync/peoplesync/internal/api"
	"github.com/peoplesync/peoplesync/internal/wiring"
)

func main() {
	wiring.Start(wiring.APIEnv, func(c wiring.Clients, env map[string]string, log *slog.Logger) (any, error) {
		s, err := wiring.API(c, env, log, time.Now, api.FromGatewayClaims)
		if err != nil {
			return nil, err
		}
		return s.HandleGateway, nil
	})
}
