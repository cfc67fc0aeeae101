package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	// readyTimeout bounds how long a starting moto_server may take to serve
	// requests; it usually needs about a second, more on a loaded CI machine.
	readyTimeout = 20 * time.Second
	// bindAttempts is how often StartMoto picks a new port when another
	// process took the free port between our probe and the server's bind.
	bindAttempts = 3
	// logTailBytes is how much of the server's log a startup error quotes.
	logTailBytes = 4 << 10
)

// errPortTaken reports that moto_server lost the race for its port.
var errPortTaken = errors.New("port already in use")

// Moto is a moto_server child process serving every AWS service on one
// 127.0.0.1 endpoint.
type Moto struct {
	endpoint string
	logDir   string
	cmd      *exec.Cmd
	exited   chan struct{} // closed once the process has exited and been reaped
	stopOnce sync.Once
}

// StartMoto starts moto_server on a free 127.0.0.1 port and returns once it
// serves requests. The executable is $MOTO_SERVER if set, else
// <repo root>/.venv/bin/moto_server as installed by `make tools`. ctx bounds
// the startup only: the server runs until Stop, or until this process dies
// (on Linux the kernel then kills it). The caller must call Stop.
func StartMoto(ctx context.Context) (*Moto, error) {
	bin, err := motoServerPath()
	if err != nil {
		return nil, err
	}
	logDir, err := os.MkdirTemp("", "devstack-moto-")
	if err != nil {
		return nil, fmt.Errorf("create moto log dir: %w", err)
	}
	for attempt := 1; ; attempt++ {
		m, err := startMoto(ctx, bin, logDir)
		if errors.Is(err, errPortTaken) && attempt < bindAttempts {
			continue
		}
		if err != nil {
			_ = os.RemoveAll(logDir)
			return nil, fmt.Errorf("start moto (attempt %d): %w", attempt, err)
		}
		return m, nil
	}
}

// Endpoint is the server's base URL, "http://127.0.0.1:<port>".
func (m *Moto) Endpoint() string { return m.endpoint }

// LogPath is the file receiving the server's output (one line per request,
// and Python tracebacks when moto fails). Stop deletes it.
func (m *Moto) LogPath() string { return filepath.Join(m.logDir, "moto.log") }

// Reset drops every resource and item in every service, as if the server had
// just started. Provision again afterwards.
func (m *Moto) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.endpoint+"/moto-api/reset", nil)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: %s", resp.Status)
	}
	return nil
}

// Stop kills the server's whole process group, waits for it to exit and
// deletes its log. It is safe to call more than once.
func (m *Moto) Stop() {
	m.stopOnce.Do(func() {
		m.kill()
		_ = os.RemoveAll(m.logDir)
	})
}

// kill ends the server's process group and waits until the server is reaped.
func (m *Moto) kill() {
	select {
	case <-m.exited:
		// Already gone: its pid may belong to someone else by now.
	default:
		// moto keeps everything in memory, so there is nothing to flush and
		// no reason to wait for a graceful exit. The negative pid names the
		// group, whose leader Setpgid made the server.
		_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
		<-m.exited
	}
}

// startMoto makes one attempt at starting the server on a fresh free port.
func startMoto(ctx context.Context, bin, logDir string) (*Moto, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	m := &Moto{
		endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		logDir:   logDir,
		exited:   make(chan struct{}),
	}
	logFile, err := os.OpenFile(m.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open moto log: %w", err)
	}
	// A failed earlier attempt left its output in the log; readiness must
	// only look at what this attempt writes.
	info, err := logFile.Stat()
	if err != nil {
		logFile.Close()
		return nil, fmt.Errorf("stat moto log: %w", err)
	}
	logStart := info.Size()

	m.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	m.cmd.Stdout = logFile
	m.cmd.Stderr = logFile
	// Unbuffered, so the startup banner reaches the log as soon as it is
	// printed and a crash's traceback is never lost.
	m.cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	m.cmd.SysProcAttr = sysProcAttr()
	err = startLocked(m.cmd, m.exited)
	logFile.Close() // the child has its own descriptor
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	if err := m.waitReady(ctx, port, logStart); err != nil {
		m.kill() // the log stays for StartMoto's next attempt
		return nil, err
	}
	return m, nil
}

// startLocked starts cmd from a goroutine locked to its OS thread, which
// then waits for the process and closes exited. Linux delivers Pdeathsig
// when the thread that forked the child exits, not the whole process
// (golang/go#27505); a dedicated thread that lives exactly as long as the
// child makes that the same thing.
func startLocked(cmd *exec.Cmd, exited chan<- struct{}) error {
	started := make(chan error, 1)
	go func() {
		// Never unlocked: the runtime retires the thread when this
		// goroutine returns, which is after the child is gone.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		// The exit status is not interesting: it is either our SIGKILL or
		// a startup failure, which waitReady explains from the log.
		_ = cmd.Wait()
		close(exited)
	}()
	return <-started
}

// waitReady returns once the server on port answers HTTP. It first waits for
// the server's own "Running on" banner (werkzeug's, printed once it has
// bound the port), because an HTTP answer alone could come from another
// process that won the race for the port.
func (m *Moto) waitReady(ctx context.Context, port int, logStart int64) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	banner := fmt.Sprintf("Running on http://127.0.0.1:%d", port)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	bound := false
	for {
		select {
		case <-m.exited:
			out := m.readLog(logStart)
			if strings.Contains(out, "Address already in use") {
				return errPortTaken
			}
			return fmt.Errorf("moto_server exited during startup; its log:\n%s", tail(out))
		case <-ctx.Done():
			return fmt.Errorf("moto_server on port %d not ready: %w; its log:\n%s",
				port, ctx.Err(), tail(m.readLog(logStart)))
		case <-tick.C:
		}
		if !bound {
			bound = strings.Contains(m.readLog(logStart), banner)
		}
		if bound && m.probe(ctx) == nil {
			return nil
		}
	}
}

// probe makes one cheap request to the moto dashboard.
func (m *Moto) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.endpoint+"/moto-api/", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /moto-api/: %s", resp.Status)
	}
	return nil
}

// readLog returns the log from offset on; a read error yields what is
// readable, since the log only serves diagnostics and readiness.
func (m *Moto) readLog(offset int64) string {
	data, _ := os.ReadFile(m.LogPath())
	if int64(len(data)) < offset {
		return ""
	}
	return string(data[offset:])
}

func tail(s string) string {
	if len(s) > logTailBytes {
		return "..." + s[len(s)-logTailBytes:]
	}
	return s
}

// freePort asks the kernel for a free 127.0.0.1 port. Another process may
// take it before moto binds it; StartMoto retries when that happens.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	return port, nil
}

// motoServerPath finds the moto_server executable.
func motoServerPath() (string, error) {
	if p := os.Getenv("MOTO_SERVER"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("MOTO_SERVER=%s: %w", p, err)
		}
		return p, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, ".venv", "bin", "moto_server")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("moto_server not found at %s: run `make tools` in %s (or set MOTO_SERVER): %w", p, root, err)
	}
	return p, nil
}

// RepoRoot is the nearest directory at or above the working directory that
// holds a go.mod: the repository root both for `go test` (which runs in the
// package's directory) and for `go run ./cmd/local`.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repo root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repo root: no go.mod in the working directory or above")
		}
		dir = parent
	}
}

// RunWithMoto is the TestMain of a package tested against the emulator: it
// starts moto, points *moto at it, runs the tests (m is the *testing.M) and
// stops it, returning the exit code.
func RunWithMoto(m interface{ Run() int }, moto **Moto) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	started, err := StartMoto(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "start moto:", err)
		return 1
	}
	defer started.Stop()
	*moto = started
	return m.Run()
}
