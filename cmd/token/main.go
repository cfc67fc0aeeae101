// Command token prints a signed admin token for the local stack
// (`make token TENANT=demo EMAIL=admin@northwind.example`), signed by the
// local issuer whose key the local API server verifies against. It creates
// the key on first use.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	switch {
	case fs.NArg() > 0:
		return usage(fs, "unexpected arguments %q", fs.Args())
	case *tenant == "":
		return usage(fs, "-tenant is required")
	case !integration.ValidTenantID(*tenant):
		return usage(fs, "-tenant %q: want 1 to 64 letters, digits, '_' or '-', starting with a letter or digit", *tenant)
	case *email == "":
		return usage(fs, "-email is required")
	case *ttl <= 0:
		return usage(fs, "-ttl must be positive")
	}
	path := *keyPath
	if path == "" {
		root, err := devstack.RepoRoot()
		if err != nil {
			return err
		}
		path = filepath.Join(root, localissuer.DefaultPath)
	}
	iss, err := localissuer.LoadOrCreate(path, localissuer.DefaultIssuer, localissuer.DefaultAudience)
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

func usage(fs *flag.FlagSet, format string, a ...any) error {
	fmt.Fprintf(fs.Output(), "token: "+format+"\n", a...)
	fs.Usage()
	return errUsage
}
