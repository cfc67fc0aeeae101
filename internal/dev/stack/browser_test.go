package stack_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/peoplesync/peoplesync/internal/dev/devstack"
)

// chromiumPath is Debian's chromium, which `make tools` installs.
const chromiumPath = "/usr/bin/chromium"

// browserTimeout bounds one browser test, whatever hangs.
const browserTimeout = 2 * time.Minute

// page is one headless chromium tab driven by a test.
type page struct {
	t        *testing.T
	ctx      context.Context
	shots    string // where screenshots go
	mu       sync.Mutex
	problems []string // uncaught exceptions, CSP violations, console errors
}

// newPage starts headless chromium with its own temporary profile, and
// stops it, with every process it started, when the test ends.
func newPage(t *testing.T) *page {
	t.Helper()
	return newPageFor(t, browserTimeout)
}

// newPageFor is newPage bounded by timeout instead of browserTimeout.
func newPageFor(t *testing.T, timeout time.Duration) *page {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser tests need Debian's chromium at %s: run `make tools` (it runs apt-get install -y chromium): %v", chromiumPath, err)
	}
	profile := t.TempDir()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-crash-reporter", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("lang", "en-GB"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	stop := func() {
		cancel()
		cancelAlloc() // waits for the browser process
		stopLeftovers(t, profile)
	}
	// The first run starts the browser; it must have no deadline of its own
	// (that would stop the browser), so the deadline goes on what follows.
	if err := chromedp.Do(ctx); err != nil {
		stop()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(stop)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancelTimeout)

	root, err := devstack.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, ctx: ctx, shots: filepath.Join(root, "screenshots")}
	if err := os.MkdirAll(p.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(p.shots, p.shotPrefix()+"*.png"))
	for _, f := range old {
		_ = os.Remove(f) // a past run's, which this run replaces
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Listen(ctx, func(ev any) {
		var problem string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			problem = "uncaught exception: " + d.Text
			if d.Exception != nil {
				problem += " " + d.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				problem = "console.error"
				for _, a := range ev.Args {
					problem += " " + string(a.Value) + a.Description
				}
			}
		case *cdplog.EventEntryAdded:
			// Answers of 4xx are what some steps test; anything else
			// logged as an error (CSP violations above all) is a bug.
			if ev.Entry.Level == cdplog.EntryLevelError && ev.Entry.Source != cdplog.EntrySourceNetwork {
				problem = fmt.Sprintf("%s error: %s", ev.Entry.Source, ev.Entry.Text)
			}
		}
		if problem != "" {
			p.mu.Lock()
			p.problems = append(p.problems, problem)
			p.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, pr := range p.problems {
			t.Errorf("in the browser: %s", pr)
		}
	})
	return p
}

// stopLeftovers makes sure no process of the browser outlives the test:
// every chromium process carries its profile directory on its command line.
func stopLeftovers(t *testing.T, profile string) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids := processesWith("--user-data-dir=" + profile)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			t.Errorf("chromium processes %v outlived the test: killed", pids)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func processesWith(arg string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		for _, a := range strings.Split(string(cmdline), "\x00") {
			if a == arg {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.shot("failed")
		p.t.Fatalf("%s: %v", what, err)
	}
}

// step runs actions bounded by a shorter deadline, so a wait that cannot
// succeed fails with its name instead of the whole test's timeout.
func (p *page) step(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.shot("failed")
		p.t.Fatalf("%s: %v", what, err)
	}
}

func (p *page) text(sel string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		p.shot("failed")
		p.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// eval runs JavaScript in the page (through DevTools, not subject to the
// page's CSP) and decodes its result.
func eval[T any](p *page, js string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		p.t.Fatalf("eval %s: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds.
func (p *page) waitFor(what, js string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool]("!!("+js+")"))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			p.shot("failed")
			p.t.Fatalf("waiting for %s (%s): %v", what, js, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *page) shotPrefix() string { return strings.ReplaceAll(p.t.Name(), "/", "-") + "-" }

// clear empties a field as a user would, with input and change events.
func (p *page) clear(id string) {
	p.t.Helper()
	eval[bool](p, `(() => { const el = document.getElementById(`+jsString(id)+`); el.value = '';
	  el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`)
}

// shot saves a screenshot of the whole page as screenshots/<name>.png.
func (p *page) shot(name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		if !errors.Is(err, context.DeadlineExceeded) {
			p.t.Errorf("screenshot %s: %v", name, err)
		}
		return
	}
	file := filepath.Join(p.shots, p.shotPrefix()+name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
	}
}

// checkA11y checks what a page must have for keyboard and screen-reader
// users: one h1, a label for every control, a name for every button and
// link, ids used once, a caption or label for every table.
func (p *page) checkA11y(where string) {
	p.t.Helper()
	problems := eval[[]string](p, `(() => {
	  const out = [];
	  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
	  const h1s = [...document.querySelectorAll('main h1')];
	  if (h1s.length !== 1) out.push('h1 count ' + h1s.length);
	  for (const el of document.querySelectorAll('input, select, textarea')) {
	    if (el.type === 'hidden' || !visible(el)) continue;
	    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
	    if (!named) out.push('no label: ' + (el.id || el.name || el.outerHTML.slice(0, 60)));
	  }
	  for (const el of document.querySelectorAll('button, a[href]')) {
	    if (!visible(el)) continue;
	    if (!el.textContent.trim() && !el.getAttribute('aria-label')) out.push('no name: ' + el.outerHTML.slice(0, 80));
	  }
	  const seen = new Map();
	  for (const el of document.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id) || 0) + 1);
	  for (const [id, n] of seen) if (n > 1) out.push('id used ' + n + ' times: ' + id);
	  for (const el of document.querySelectorAll('input[type=password][name]')) out.push('a secret field with a name would be submitted: ' + el.id);
	  for (const t of document.querySelectorAll('table')) {
	    if (!t.querySelector('caption') && !t.getAttribute('aria-label')) out.push('table without caption');
	  }
	  for (const el of document.querySelectorAll('[aria-describedby]')) {
	    for (const id of el.getAttribute('aria-describedby').split(' ')) {
	      if (id && !document.getElementById(id)) out.push('aria-describedby names a missing id: ' + id);
	    }
	  }
	  return out;
	})()`)
	for _, pr := range problems {
		p.t.Errorf("%s: %s", where, pr)
	}
}
