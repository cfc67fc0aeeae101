// Command platform is the Lambda behind the HTTP API's /platform routes,
// which the benefits platform's backend calls with machine tokens: redeem
// an invitation, read the member directory. API Gateway's JWT authorizer
// for the platform audience has checked the token and the route's scope.
package main

import (
	"log/slog"
	"time"

	"github.com/peoplesync/peoplesync/internal/platform"
	"github.com/peoplesync/peoplesync/internal/wiring"
)

func main() {
	wiring.Start(wiring.PlatformEnv, func(c wiring.Clients, env map[string]string, log *slog.Logger) (any, error) {
		s, err := wiring.Platform(c, env, log, time.Now, platform.FromGatewayClaims)
		if err != nil {
			return nil, err
		}
		return s.HandleGateway, nil
	})
}
