// Command bench is `make bench`: it starts the local stack, generates
// PeopleHR sandboxes of 1k, 10k and 100k employees and prints how close
// each import comes to the least work it could do, every figure beside a
// floor measured in the same run on the same emulator (BENCHMARKS.md).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/bench"
	"github.com/peoplesync/peoplesync/internal/dev/devstack"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == bench.ChildFlag {
		if err := bench.Child(os.Args[2:], os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench child:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	sizes := flag.String("imports", "1000,10000", "tenant sizes whose imports are measured, comma-separated")
	changedSizes := flag.String("changed", "1000", "tenant sizes whose 1% changed resync is measured too (moto's transactions copy the table per item: on 10k the resync takes minutes)")
	peak := flag.Int("peak", 100_000, "employees of the first import whose peak memory is measured (0 skips)")
	engine := flag.String("engine", "", "`go test -bench Decode` output to read the engine's figures from (empty: measure here)")
	engineN := flag.Int("engine-employees", 100_000, "employees in the engine's body when measured here (0 skips)")
	tenants := flag.Int("scheduler", 10_000, "due tenants for the scheduler's tick (0 skips)")
	searchN := flag.Int("search", 100_000, "members the member search is measured among (0 skips)")
	searchRounds := flag.Int("search-rounds", 3, "times each search prefix is measured")
	cold := flag.Bool("cold", true, "measure the functions' cold starts under the RIE")
	edits := flag.Int("edits", 30, "PeopleHR edits whose notification-to-member time is measured on a 1k tenant (0 skips)")
	out := flag.String("out", "", "also write the table to this file")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 13*time.Minute)
	defer cancel()
	say := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	rep := &bench.Report{Started: time.Now(), Machine: bench.Machine()}

	// The engine first, alone on the machine.
	switch {
	case *engine != "":
		rep.Engine, err = bench.ReadEngine(*engine, *engineN)
	case *engineN == 0:
	default:
		say("engine: decoding %d employees, engine and floors", *engineN)
		rep.Engine, err = bench.MeasureEngine(*engineN)
	}
	if err != nil {
		return err
	}

	// The bench empties the mail queue after every send (bench.Purging):
	// moto refuses a second purge within 60 s unless told not to.
	if err := os.Setenv("MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR", "false"); err != nil {
		return err
	}
	moto, err := devstack.StartMoto(ctx)
	if err != nil {
		return err
	}
	defer moto.Stop()
	ses, err := devstack.StartSES(ctx)
	if err != nil {
		return err
	}
	defer ses.Stop()
	env := &bench.Env{Moto: moto, SES: ses, Self: self, Progress: say}

	if *peak > 0 {
		if rep.Peak, err = env.RunPeak(ctx, *peak); err != nil {
			return err
		}
	}
	for _, s := range strings.Split(*sizes, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("-imports %q: %w", s, err)
		}
		im, err := env.RunImports(ctx, n, slices.Contains(strings.Split(*changedSizes, ","), s))
		if err != nil {
			return err
		}
		rep.Imports = append(rep.Imports, im)
	}
	if *tenants > 0 {
		if rep.Schedule, err = env.RunScheduler(ctx, *tenants); err != nil {
			return err
		}
	}
	if *edits > 0 {
		if rep.Changes, err = env.RunChanges(ctx, 1000, *edits); err != nil {
			return err
		}
	}
	if *searchN > 0 {
		if rep.Search, err = env.RunSearch(ctx, *searchN, *searchRounds); err != nil {
			return err
		}
	}
	if *cold {
		dir, err := os.MkdirTemp("", "bench-cold")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if rep.ColdStarts, err = env.RunColdStarts(ctx, dir); err != nil {
			return err
		}
	}
	rep.Took = time.Since(rep.Started)
	rep.Print(os.Stdout)
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		rep.Print(f)
		if err := f.Close(); err != nil {
			return err
		}
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("over 13 minutes")
	}
	return nil
}
