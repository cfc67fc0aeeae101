// Command local runs the whole service on this machine (`make local`): the
// AWS emulators with the template's resources, the PeopleHR sandbox with
// sample employees, a demo tenant, its first import at once and a scheduled
// one soon after, the emails they send, and the benefits platform's
// development stand-in whose join page the welcome links open. It runs
// until Ctrl-C and stops everything it started.
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/dev/devstack"
	"github.com/peoplesync/peoplesync/internal/dev/localissuer"
	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/platformdev"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/logging"
)

const demoTenant = "demo"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
	fmt.Println("\nStopped: emulators and sandbox shut down.")
}

func run(ctx context.Context) error {
	tick, err := time.ParseDuration(envOr("TICK", "10s"))
	if err != nil || tick <= 0 {
		return fmt.Errorf("TICK=%q: want a duration such as 10s", os.Getenv("TICK"))
	}
	log := logging.New(os.Stderr, envOr("LOG_LEVEL", "WARN"))
	root, err := devstack.RepoRoot()
	if err != nil {
		return err
	}
	// The same key `make token` signs with.
	issuer, err := localissuer.LoadOrCreate(filepath.Join(root, localissuer.DefaultPath), localissuer.DefaultIssuer, localissuer.DefaultAudience)
	if err != nil {
		return err
	}
	// The welcome links name the stand-in's address, so it is taken before
	// the stack starts; it serves once the API it calls is up.
	joinLn, err := listen(envOr("JOIN_ADDR", "127.0.0.1:8081"), "the platform's stand-in")
	if err != nil {
		return err
	}
	defer joinLn.Close()
	joinURL := "http://" + joinLn.Addr().String()
	fmt.Println("Starting the local stack (moto, SES emulator, PeopleHR sandbox)...")
	st, err := stack.Start(ctx, stack.Options{
		Prefix:          "local-",
		PeopleHRBaseURL: os.Getenv("PEOPLEHR_BASE_URL"),
		Employees:       peoplehrtest.DemoEmployees(),
		Log:             log,
		Tick:            tick,
		Issuer:          issuer,
		InviteBaseURL:   joinURL + "/join",
	})
	if err != nil {
		return err
	}
	defer st.Close()
	st.StartConsumers(ctx)
	apiLn, err := listen(envOr("API_ADDR", "127.0.0.1:8080"), "the API")
	if err != nil {
		return err
	}
	apiURL := "http://" + apiLn.Addr().String()
	defer serve(apiLn, st.Handler())()
	standIn, err := platformdev.New(platformdev.Config{
		APIBaseURL: apiURL,
		Token:      func(context.Context) (string, error) { return st.PlatformToken(auth.ScopeInvitationsRedeem) },
		Client:     &http.Client{Timeout: 10 * time.Second},
		Programme: func(ctx context.Context, tenant string) (string, error) {
			in, err := st.Store.GetIntegration(ctx, tenant)
			if err != nil {
				return "", fmt.Errorf("read tenant %s: %w", tenant, err)
			}
			return in.ProgrammeName, nil
		},
		Log: log,
	})
	if err != nil {
		return err
	}
	defer serve(joinLn, standIn)()
	printEndpoints(st, apiURL, joinURL)
	if err := printWalkthrough(st, apiURL); err != nil {
		return err
	}
	consoleURL, err := printConsole(st, apiURL)
	if err != nil {
		return err
	}

	// The scheduled slot two minutes from now, so the schedule shows itself.
	firstSlot := time.Now().UTC().Truncate(time.Minute).Add(2 * time.Minute)
	if err := st.SeedTenant(ctx, demoTenantSetup(envOr("PEOPLEHR_API_KEY", peoplehrtest.DefaultAPIKey), firstSlot)); err != nil {
		return fmt.Errorf("seed demo tenant: %w", err)
	}
	queued, err := st.Enqueue(ctx, demoTenant, integration.TriggerManual)
	if err != nil {
		return err
	}
	fmt.Println("\n1. \"Import data now\" for the demo tenant...")
	sent, err := report(ctx, st, queued.RunID)
	if err != nil {
		return err
	}
	printJoinLink(sent, joinURL)

	if st.Sandbox != nil {
		if err := changesWithinAMinute(ctx, st, apiURL); err != nil {
			return err
		}
	}
	fmt.Printf("\n2. The scheduled import of %s (hourly at :%02d; the scheduler ticks every %s)...\n",
		firstSlot.Local().Format("15:04"), firstSlot.Minute(), tick)
	if _, err := report(ctx, st, integration.SlotRunID(firstSlot)); err != nil {
		return err
	}
	fmt.Printf("\nAdmin console (the demo tenant's admin): %s\n", consoleURL)
	fmt.Println("\nRunning until Ctrl-C: the schedule goes on every hour.")
	<-ctx.Done()
	return nil
}

// listen listens on addr, or on a free port of 127.0.0.1 when addr is
// taken.
func listen(addr, what string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	fmt.Printf("(%s is taken: %s gets a free port)\n", addr, what)
	if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("listen for %s: %w", what, err)
	}
	return ln, nil
}

// serve serves h on ln until the function it returns shuts it down.
func serve(ln net.Listener, h http.Handler) func() {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }() // ends with Shutdown
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
}

// printWalkthrough prints the curl lines that take a new tenant through
// the four steps against the sandbox, with a ready admin token.
func printWalkthrough(st *stack.Stack, apiURL string) error {
	token, err := st.Token("newco", "admin@newco.example")
	if err != nil {
		return err
	}
	fmt.Printf(`
Try the API as the admin of a new tenant, "newco" (token valid 12 hours;
another: make token TENANT=<id> EMAIL=<admin>):

  export API=%s
  export TOKEN=%s
  curl -s $API/integration -H "Authorization: Bearer $TOKEN"
  # 1. settings
  curl -s -X PUT $API/integration/settings -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
       -d '{"frequency":"daily","timeOfDay":"06:00","timeZone":"Europe/London","dateFormat":"dd/MM/yyyy"}'
  # 2. authorize (the sandbox's key)
  curl -s -X POST $API/integration/authorization -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
       -d '{"apiKey":"%s"}'
  # 3. fields, then mapping
  curl -s $API/integration/fields -H "Authorization: Bearer $TOKEN"
  curl -s -X PUT $API/integration/mapping -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
       -d '{"uniqueKey":"EmployeeId","fields":{"email":"EmailId","firstName":"FirstName","lastName":"LastName","jobTitle":"JobRole"}}'
  # 4. review (a dry run), publish (queues the first import)
  curl -s $API/integration/review -H "Authorization: Bearer $TOKEN"
  curl -s -X POST $API/integration/publish -H "Authorization: Bearer $TOKEN"
  # progress and history; an error file link
  curl -s $API/imports -H "Authorization: Bearer $TOKEN"
  curl -s $API/imports/<runId> -H "Authorization: Bearer $TOKEN"
  curl -s $API/imports/<runId>/errors -H "Authorization: Bearer $TOKEN"
  # the API's description
  curl -s $API/openapi.json
`, apiURL, token, peoplehrtest.DefaultAPIKey)
	return nil
}

func demoTenantSetup(apiKey string, firstSlot time.Time) stack.Tenant {
	m := engine.DefaultMapping()
	m.Fields["dateOfBirth"] = "DateOfBirth"
	m.Fields["mobile"] = "ContactDetail.Mobile"
	m.Fields["payrollId"] = "EmploymentDetail.PayrollID"
	m.Fields["custom1"] = "APIColumn2"
	s := integration.DefaultSettings()
	s.Frequency, s.TimeOfDay, s.TimeZone = "hourly", firstSlot.Format("15:04"), "UTC"
	return stack.Tenant{
		ID: demoTenant, ProgrammeName: "Northwind Perks", AdminEmail: "admin@northwind.example",
		APIKey: apiKey, Settings: s, Mapping: m, FirstRunAt: firstSlot,
	}
}

// changesWithinAMinute gives the demo tenant a listener URL, points the
// sandbox's notifications at it as an admin would in PeopleHR, makes the
// demo's changes there and prints how long the leaver took to be closed:
// the change run of the notifications' window, before any schedule.
func changesWithinAMinute(ctx context.Context, st *stack.Stack, apiURL string) error {
	secret, hash := integration.NewListenerSecret()
	if _, err := st.Store.PutListener(ctx, demoTenant, hash); err != nil {
		return fmt.Errorf("make the demo's listener: %w", err)
	}
	if err := st.Sandbox.SetListener(apiURL + "/hooks/peoplehr?key=" + secret); err != nil {
		return err
	}
	var leaver string
	marked := time.Now()
	st.Sandbox.Update(func(es []peoplehrtest.Employee) []peoplehrtest.Employee {
		es = changeDemo(es)
		leaver = es[2].EmployeeID
		return es
	})
	fmt.Println("\n   PeopleHR changes meanwhile: a new starter, a leaver, a new job title; PeopleHR")
	fmt.Println("   notifies the demo's listener URL (make one in the console's setup step 2)...")
	wait, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		m, err := st.Store.GetMember(ctx, demoTenant, leaver)
		if err != nil {
			return fmt.Errorf("read the leaver: %w", err)
		}
		if m.Status == engine.StatusLeaver {
			fmt.Printf("   Leaver %s closed %s after PeopleHR marked them, by a change run (trigger %s).\n",
				leaver, time.Since(marked).Round(100*time.Millisecond), integration.TriggerPeopleHRChange)
			return nil
		}
		select {
		case <-wait.Done():
			fmt.Println("   The leaver was not closed within 2 minutes: the scheduled import will.")
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// changeDemo is what happens in PeopleHR between the two imports.
func changeDemo(es []peoplehrtest.Employee) []peoplehrtest.Employee {
	es = append([]peoplehrtest.Employee(nil), es...)
	es[1].JobRole = "Head of Operations"
	es[2].LeavingDate = time.Now().AddDate(0, 0, -1).Format(time.DateOnly)
	es[2].EmployeeStatus, es[2].ReasonForLeaving = "Left", "Resigned"
	starter := es[0]
	starter.EmployeeID, starter.FirstName, starter.LastName = "PW0100", "Priya", "Natarajan"
	starter.EmailID, starter.StartDate = "priya.natarajan@northwind.example", time.Now().Format(time.DateOnly)
	return append(es, starter)
}

// report waits for a run, prints its counts, its error file and the emails
// it caused, and answers those emails.
func report(ctx context.Context, st *stack.Stack, runID string) ([]devstack.Email, error) {
	wait, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	before, err := st.SES.Sent(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the emails sent: %w", err)
	}
	run, err := st.WaitFinished(wait, demoTenant, runID)
	if err != nil {
		return nil, err
	}
	c := run.Counts
	fmt.Printf(`   Import %s (%s) finished: %s
   created %d, updated %d, unchanged %d, closed %d, reactivated %d,
   skipped leavers %d, errors %d, warnings %d, of %d PeopleHR records
`, run.RunID, run.Trigger, run.Status, c.Created, c.Updated, c.Unchanged, c.Closed, c.Reactivated, c.SkippedLeavers, c.Errors, c.Warnings, c.Total)
	if run.FailureReason != "" {
		fmt.Println("   why:", run.FailureReason)
	}
	if run.ErrorFileKey != "" {
		printErrorFile(ctx, st, run.ErrorFileKey)
	}
	// The mailer sends at the template's SES rate: wait for a welcome per
	// new member and the summary (a bounded while) before listing.
	want := len(before) + c.Created + c.Reactivated + 1
	var after []devstack.Email
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		if after, err = st.SES.Sent(ctx); err != nil {
			return nil, fmt.Errorf("read the emails sent: %w", err)
		}
		if len(after) >= want || time.Now().After(deadline) {
			break
		}
	}
	fmt.Printf("   emails sent: %d (read them at %s/)\n", len(after)-len(before), st.SES.Endpoint())
	for _, e := range after[len(before):min(len(after), len(before)+5)] {
		fmt.Printf("     to %-40s %s\n", strings.Join(e.To, ", "), e.Subject)
	}
	if n := len(after) - len(before); n > 5 {
		fmt.Printf("     ... and %d more\n", n-5)
	}
	return after[len(before):], nil
}

// printJoinLink prints the link of one welcome among sent, for the user to
// join as that member through the platform's stand-in.
func printJoinLink(sent []devstack.Email, joinURL string) {
	link := regexp.MustCompile(regexp.QuoteMeta(joinURL+"/join?") + `\S+`)
	for _, e := range sent {
		if l := link.FindString(e.Text); l != "" && strings.HasPrefix(e.Subject, "Welcome to ") {
			fmt.Printf(`
   Join as %s: open their welcome email's link (the benefits
   platform's development stand-in) and press Join:
     %s
   Afterwards the admin console's Members page shows them joined (Active).
`, strings.Join(e.To, ", "), l)
			return
		}
	}
	fmt.Println("\n   (No welcome email links to the stand-in: nothing to join yet.)")
}

func printErrorFile(ctx context.Context, st *stack.Stack, key string) {
	bucket := st.WorkerEnv["ERROR_FILES_BUCKET"]
	fmt.Printf("   error file: s3://%s/%s\n", bucket, key)
	if client, ok := st.Clients.S3.(*s3.Client); ok {
		req, err := s3.NewPresignClient(client).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key},
			s3.WithPresignExpires(15*time.Minute))
		if err == nil {
			fmt.Printf("   read it:    curl -s '%s'\n", req.URL)
		}
	}
}

// printConsole prints the admin console's address with a ready login for
// the demo tenant's admin and for the new tenant's. The token rides in the
// fragment, which the browser never sends: the page moves it into the
// tab's session and out of the address bar.
func printConsole(st *stack.Stack, apiURL string) (string, error) {
	demo, err := st.Token(demoTenant, "admin@northwind.example")
	if err != nil {
		return "", err
	}
	newco, err := st.Token("newco", "admin@newco.example")
	if err != nil {
		return "", err
	}
	demoURL := apiURL + "/#token=" + demo
	fmt.Printf(`
Or in a browser, the admin console (each link signs in for 12 hours):
  the demo tenant's dashboard, imports and history:
    %s
  the setup wizard of the new tenant "newco" (the sandbox's key is %s):
    %s/#token=%s
`, demoURL, peoplehrtest.DefaultAPIKey, apiURL, newco)
	return demoURL, nil
}

func printEndpoints(st *stack.Stack, apiURL, joinURL string) {
	fmt.Printf(`
Endpoints (127.0.0.1 only):
  API:                  %s   (OpenAPI at /openapi.json)
  AWS emulator (moto):  %s   table %s
  SES emulator:         %s/   (every email sent, in a browser)
  Platform stand-in:    %s/join   (development only: the welcome links' join page)
`, apiURL, st.Moto.Endpoint(), st.WorkerEnv["TABLE_NAME"], st.SES.Endpoint(), joinURL)
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
