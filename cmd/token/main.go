// Command token prints a signed admin token for the local stack
// (`make token TENANT=demo EMAIL=admin@northwind.example`), signed by the
// local issuer whose key the local API server verifies against. It creates
// the key on first use. With -platform it prints a platform API token
// instead, as the benefits platform's backend would get by client
// credentials (`-platform -scope "peoplesync/members.read"`).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/devstack"
	"github.com/peoplesync/peoplesync/internal/dev/localissuer"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// errUsage marks bad flags, already reported by the flag set.
var errUsage = errors.New("usage")

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "token:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tenant := fs.String("tenant", "", "tenant id the token is for (required)")
	email := fs.String("email", "", "admin's email address (required)")
	ttl := fs.Duration("ttl", 12*time.Hour, "how long the token is valid")
	keyPath := fs.String("key", "", "issuer key file (default <repo root>/"+localissuer.DefaultPath+")")
	platform := fs.Bool("platform", false, "print a platform API token instead of an admin one")
	scope := fs.String("scope", "", "space-separated scopes of the platform token (required with -platform)")
	audience := fs.String("audience", localissuer.DefaultPlatformAudience, "audience of the platform token")
	client := fs.String("client", "local-platform", "client id of the platform token")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *platform {
		return runPlatform(fs, set, *keyPath, *audience, *client, *scope, *ttl, stdout)
	}
	switch {
	case fs.NArg() > 0:
		return usage(fs, "unexpected arguments %q", fs.Args())
	case set["scope"] || set["audience"] || set["client"]:
		return usage(fs, "-scope, -audience and -client are for -platform tokens")
	case *tenant == "":
		return usage(fs, "-tenant is required")
	case !integration.ValidTenantID(*tenant):
		return usage(fs, "-tenant %q: want 1 to 64 letters, digits, '_' or '-', starting with a letter or digit", *tenant)
	case *email == "":
		return usage(fs, "-email is required")
	case *ttl <= 0:
		return usage(fs, "-ttl must be positive")
	}
	iss, err := loadIssuer(*keyPath)
	if err != nil {
		return err
	}
	token, err := iss.Token(*tenant, *email, *ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, token)
	return err
}

// runPlatform prints a platform token; set holds the flags given.
func runPlatform(fs *flag.FlagSet, set map[string]bool, keyPath, audience, client, scope string, ttl time.Duration, stdout io.Writer) error {
	switch {
	case fs.NArg() > 0:
		return usage(fs, "unexpected arguments %q", fs.Args())
	case set["tenant"] || set["email"]:
		// A platform token acts for no tenant or admin: one given here
		// would be silently dropped.
		return usage(fs, "-tenant and -email are for admin tokens, not -platform")
	case strings.TrimSpace(scope) == "":
		return usage(fs, "-scope is required with -platform")
	case ttl <= 0:
		return usage(fs, "-ttl must be positive")
	}
	iss, err := loadIssuer(keyPath)
	if err != nil {
		return err
	}
	token, err := iss.MachineToken(audience, client, strings.Fields(scope), ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, token)
	return err
}

// loadIssuer loads the local issuer from keyPath, by default the repo's
// key file the local API server reads too.
func loadIssuer(keyPath string) (*localissuer.Issuer, error) {
	if keyPath == "" {
		root, err := devstack.RepoRoot()
		if err != nil {
			return nil, err
		}
		keyPath = filepath.Join(root, localissuer.DefaultPath)
	}
	return localissuer.LoadOrCreate(keyPath, localissuer.DefaultIssuer, localissuer.DefaultAudience)
}

func usage(fs *flag.FlagSet, format string, a ...any) error {
	fmt.Fprintf(fs.Output(), "token: "+format+"\n", a...)
	fs.Usage()
	return errUsage
}
