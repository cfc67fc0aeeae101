// Command local runs the whole service on this machine (`make local`): the
// AWS emulator with the template's resources, the PeopleHR sandbox with
// sample employees, a demo tenant and its first import. It runs until
// Ctrl-C and stops everything it started.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/logging"
	"github.com/peoplesync/peoplesync/internal/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/stack"
	"github.com/peoplesync/peoplesync/internal/sync"
)

const demoTenant = "demo"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	log := logging.New(os.Stderr, envOr("LOG_LEVEL", "WARN"))
	fmt.Println("Starting the local stack (moto, PeopleHR sandbox)...")
	st, err := stack.Start(ctx, stack.Options{
		Prefix:          "local-",
		PeopleHRBaseURL: os.Getenv("PEOPLEHR_BASE_URL"),
		Employees:       peoplehrtest.DemoEmployees(),
		Log:             log,
	})
	if err != nil {
		return err
	}
	defer st.Close()
	st.StartConsumers(ctx)

	apiKey := envOr("PEOPLEHR_API_KEY", peoplehrtest.DefaultAPIKey)
	if err := st.SeedTenant(ctx, demoTenantSetup(apiKey)); err != nil {
		return fmt.Errorf("seed demo tenant: %w", err)
	}
	queued, err := st.Enqueue(ctx, demoTenant, integration.TriggerManual)
	if err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	run, err := st.WaitFinished(wait, demoTenant, queued.RunID)
	if err != nil {
		return err
	}
	printRun(ctx, st, run)
	fmt.Println("\nRunning until Ctrl-C.")
	<-ctx.Done()
	fmt.Println("\nStopping: emulator and sandbox shut down.")
	return nil
}

func demoTenantSetup(apiKey string) stack.Tenant {
	m := sync.DefaultMapping()
	m.Fields["dateOfBirth"] = "DateOfBirth"
	m.Fields["mobile"] = "ContactDetail.Mobile"
	m.Fields["payrollId"] = "EmploymentDetail.PayrollID"
	m.Fields["custom1"] = "APIColumn2"
	return stack.Tenant{
		ID: demoTenant, ProgrammeName: "Northwind Perks", AdminEmail: "admin@northwind.example",
		APIKey: apiKey, Settings: integration.DefaultSettings(), Mapping: m,
	}
}

func printRun(ctx context.Context, st *stack.Stack, run *integration.Run) {
	c := run.Counts
	fmt.Printf(`
Demo import %s finished: %s
  created %d, updated %d, unchanged %d, closed %d, reactivated %d,
  skipped leavers %d, errors %d, warnings %d, of %d PeopleHR records
`, run.RunID, run.Status, c.Created, c.Updated, c.Unchanged, c.Closed, c.Reactivated, c.SkippedLeavers, c.Errors, c.Warnings, c.Total)
	if run.FailureReason != "" {
		fmt.Println("  why:", run.FailureReason)
	}
	if run.ErrorFileKey != "" {
		bucket := st.WorkerEnv["ERROR_FILES_BUCKET"]
		fmt.Printf("\nError file: s3://%s/%s\n", bucket, run.ErrorFileKey)
		if client, ok := st.Clients.S3.(*s3.Client); ok {
			req, err := s3.NewPresignClient(client).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &run.ErrorFileKey},
				s3.WithPresignExpires(15*time.Minute))
			if err == nil {
				fmt.Printf("  read it:  curl -s '%s'\n", req.URL)
			}
		}
	}
	fmt.Printf(`
Endpoints (127.0.0.1 only):
  AWS emulator (moto):  %s   table %s
`, st.Moto.Endpoint(), st.WorkerEnv["TABLE_NAME"])
	if st.Sandbox != nil {
		fmt.Printf("  PeopleHR sandbox:     %s   (POST /Employee, key %s)\n", st.Sandbox.URL(), peoplehrtest.DefaultAPIKey)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
