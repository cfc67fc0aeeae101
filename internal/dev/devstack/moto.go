package devstack

import (
	"context"
	_ "embed"
	"encoding/json"
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
	// readyTimeout bounds how long a starting emulator may take to serve
	// requests; moto_server usually needs about a second, more on a loaded
	// CI machine.
	readyTimeout = 20 * time.Second
	// bindAttempts is how often an emulator is started on a new port when
	// another process took the free port between our probe and its bind.
	bindAttempts = 3
	// logTailBytes is how much of the server's log a startup error quotes.
	logTailBytes = 4 << 10
)

// errPortTaken reports that an emulator lost the race for its port.
var errPortTaken = errors.New("port already in use")

// Moto is a moto_server child process serving every AWS service on one
// 127.0.0.1 endpoint.
type Moto struct {
	*emulator // the process, shared mechanics with the SES emulator
}

// motoServe runs moto_server with DynamoDB's requests answered one at a
// time, as atomic as DynamoDB's own (see the script's doc).
//
//go:embed motoserve.py
var motoServe string

// motoSpec says how to run moto_server with python, moto's interpreter.
func motoSpec(python string) emulatorSpec {
	return emulatorSpec{
		name: "moto_server",
		bin:  python,
		args: func(port int) []string { return []string{"-c", motoServe, "-H", "127.0.0.1", "-p", strconv.Itoa(port)} },
		// Unbuffered, so the startup banner reaches the log as soon as it is
		// printed and a crash's traceback is never lost. The functions'
		// code is a placeholder in S3 that no one uploads (translate.py):
		// moto never runs it, since the local stack runs the handlers
		// itself, so it need not look for it.
		env: []string{"PYTHONUNBUFFERED=1", "VALIDATE_LAMBDA_S3=false"},
		// werkzeug's banner, printed once it has bound the port.
		banner:    func(port int) string { return fmt.Sprintf("Running on http://127.0.0.1:%d", port) },
		portTaken: []string{"Address already in use"},
		readyPath: "/moto-api/",
	}
}

// StartMoto starts moto_server on a free 127.0.0.1 port and returns once it
// serves requests. The interpreter is $MOTO_PYTHON if set, else
// <repo root>/.venv/bin/python as installed by `make tools`. ctx bounds
// the startup only: the server runs until Stop, or until this process dies
// (on Linux the kernel then kills it). The caller must call Stop.
func StartMoto(ctx context.Context) (*Moto, error) {
	python, err := toolPath("MOTO_PYTHON", ".venv", "bin", "python")
	if err != nil {
		return nil, err
	}
	e, err := startEmulator(ctx, motoSpec(python))
	if err != nil {
		return nil, err
	}
	return &Moto{e}, nil
}

// Endpoint is the server's base URL, "http://127.0.0.1:<port>".
func (m *Moto) Endpoint() string { return m.endpoint }

// LogPath is the file receiving the server's output (one line per request,
// and Python tracebacks when moto fails). Stop deletes it.
func (m *Moto) LogPath() string { return m.logPath() }

// Reset drops every resource and item in every service, as if the server had
// just started. Provision again afterwards.
func (m *Moto) Reset(ctx context.Context) error {
	if err := m.call(ctx, http.MethodPost, "/moto-api/reset", nil); err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	return nil
}

// Stop kills the server's whole process group, waits for it to exit and
// deletes its log. It is safe to call more than once.
func (m *Moto) Stop() { m.stop() }

// RunWithMoto is the TestMain of a package tested against moto: it starts
// moto, points *moto at it, runs the tests (m is the *testing.M) and stops
// it, returning the exit code.
func RunWithMoto(m interface{ Run() int }, moto **Moto) int {
	return RunWithEmulators(m, moto, nil)
}

// RunWithEmulators is the TestMain of a package tested against moto and the
// SES emulator: it starts each emulator whose pointer is not nil, points it
// at the running emulator, runs the tests (m is the *testing.M) and stops
// them, returning the exit code. Passing nil for one skips it, so a package
// pays only for the emulators it uses.
func RunWithEmulators(m interface{ Run() int }, moto **Moto, ses **SES) int {
	// Bounds the startup only; the emulators outlive it until Stop.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if moto != nil {
		started, err := StartMoto(ctx)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer started.Stop()
		*moto = started
	}
	if ses != nil {
		started, err := StartSES(ctx)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer started.Stop()
		*ses = started
	}
	return m.Run()
}

// The rest of this file is what moto and the SES emulator have in common:
// each is a server process started on a free 127.0.0.1 port, in its own
// process group, with its output in a log file, and killed with its group.

// emulatorSpec says how to run one kind of emulator.
type emulatorSpec struct {
	name string // the executable's name, for messages and the log file
	bin  string // path of the executable
	args func(port int) []string
	env  []string // added to this process's environment
	// banner is the line the server prints once it has bound port. Waiting
	// for it, and not only for an HTTP answer, matters because the answer
	// could come from another process that won the race for the port.
	banner func(port int) string
	// portTaken are strings whose presence in the log of a server that
	// exited during startup mean it could not bind its port.
	portTaken []string
	// readyPath is a cheap GET that answers 200 once the server is ready.
	readyPath string
}

// emulator is a running emulator process.
type emulator struct {
	spec     emulatorSpec
	endpoint string
	logDir   string
	cmd      *exec.Cmd
	exited   chan struct{} // closed once the process has exited and been reaped
	stopOnce sync.Once
}

// startEmulator starts the emulator on a free port, trying new ports when
// another process takes one first, and returns once it is ready.
func startEmulator(ctx context.Context, spec emulatorSpec) (*emulator, error) {
	// One log serves every attempt: each appends to it and reads only what
	// it wrote itself.
	logDir, err := os.MkdirTemp("", "devstack-"+spec.name+"-")
	if err != nil {
		return nil, fmt.Errorf("start %s: create log dir: %w", spec.name, err)
	}
	for attempt := 1; ; attempt++ {
		e, err := startAttempt(ctx, spec, logDir, 0)
		if errors.Is(err, errPortTaken) && attempt < bindAttempts {
			continue
		}
		if err != nil {
			_ = os.RemoveAll(logDir)
			return nil, fmt.Errorf("start %s (attempt %d): %w", spec.name, attempt, err)
		}
		return e, nil
	}
}

// startAttempt makes one attempt at starting the server, on port or, if
// port is 0, on a fresh free port.
func startAttempt(ctx context.Context, spec emulatorSpec, logDir string, port int) (*emulator, error) {
	if port == 0 {
		var err error
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	e := &emulator{
		spec:     spec,
		endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		logDir:   logDir,
		exited:   make(chan struct{}),
	}
	logFile, err := os.OpenFile(e.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s log: %w", spec.name, err)
	}
	// A failed earlier attempt left its output in the log; readiness must
	// only look at what this attempt writes.
	info, err := logFile.Stat()
	if err != nil {
		logFile.Close()
		return nil, fmt.Errorf("stat %s log: %w", spec.name, err)
	}
	logStart := info.Size()

	e.cmd = exec.Command(spec.bin, spec.args(port)...)
	e.cmd.Stdout = logFile
	e.cmd.Stderr = logFile
	e.cmd.Env = append(os.Environ(), spec.env...)
	err = StartChild(e.cmd, e.exited)
	logFile.Close() // the child has its own descriptor
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.bin, err)
	}
	if err := e.waitReady(ctx, port, logStart); err != nil {
		e.kill() // the log stays for the next attempt
		return nil, err
	}
	return e, nil
}

// StartChild starts cmd as a child that cannot outlive its starter: in
// its own process group, so it can be killed with anything it spawned, and
// (on Linux) SIGKILLed by the kernel when the thread that started it dies,
// so a test binary that panics, times out or is killed leaves no emulator
// running. It starts cmd from a goroutine locked to its OS thread, which
// then waits for the process and closes exited. Linux delivers Pdeathsig
// when the thread that forked the child exits, not the whole process
// (golang/go#27505); a dedicated thread that lives exactly as long as the
// child makes that the same thing.
func StartChild(cmd *exec.Cmd, exited chan<- struct{}) error {
	cmd.SysProcAttr = sysProcAttr()
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
		// a startup failure, which the caller explains from its output.
		_ = cmd.Wait()
		close(exited)
	}()
	return <-started
}

// waitReady returns once the server has printed its banner for port and
// answers its readiness request.
func (e *emulator) waitReady(ctx context.Context, port int, logStart int64) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	banner := e.spec.banner(port)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	bound := false
	for {
		select {
		case <-e.exited:
			out := e.readLog(logStart)
			for _, s := range e.spec.portTaken {
				if strings.Contains(out, s) {
					return errPortTaken
				}
			}
			return fmt.Errorf("%s exited during startup; its log:\n%s", e.spec.name, tail(out))
		case <-ctx.Done():
			return fmt.Errorf("%s on port %d not ready: %w; its log:\n%s",
				e.spec.name, port, ctx.Err(), tail(e.readLog(logStart)))
		case <-tick.C:
		}
		if !bound {
			bound = strings.Contains(e.readLog(logStart), banner)
		}
		if bound && e.probe(ctx) == nil {
			return nil
		}
	}
}

// probe makes one readiness request.
func (e *emulator) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return e.call(ctx, http.MethodGet, e.spec.readyPath, nil)
}

// call makes a request without a body to the emulator's own API and, if out
// is not nil, decodes the JSON answer into it. Anything but 200 is an error.
func (e *emulator) call(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, e.endpoint+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out == nil {
		// Drained so the connection can be reused.
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode: %w", method, path, err)
	}
	return nil
}

// logPath is the file receiving the server's stdout and stderr.
func (e *emulator) logPath() string { return filepath.Join(e.logDir, e.spec.name+".log") }

// readLog returns the log from offset on; a read error yields what is
// readable, since the log only serves diagnostics and readiness.
func (e *emulator) readLog(offset int64) string {
	data, _ := os.ReadFile(e.logPath())
	if int64(len(data)) < offset {
		return ""
	}
	return string(data[offset:])
}

// stop kills the server's process group, waits for it to exit and deletes
// its log. It is safe to call more than once.
func (e *emulator) stop() {
	e.stopOnce.Do(func() {
		e.kill()
		_ = os.RemoveAll(e.logDir)
	})
}

// kill ends the server's process group and waits until the server is reaped.
func (e *emulator) kill() {
	select {
	case <-e.exited:
		// Already gone: its pid may belong to someone else by now.
	default:
		// Both emulators keep everything in memory, so there is nothing to
		// flush and no reason to wait for a graceful exit. The negative pid
		// names the group, whose leader Setpgid made the server.
		_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
		<-e.exited
	}
}

func tail(s string) string {
	if len(s) > logTailBytes {
		return "..." + s[len(s)-logTailBytes:]
	}
	return s
}

// freePort asks the kernel for a free 127.0.0.1 port. Another process may
// take it before the emulator binds it; startEmulator retries when that
// happens.
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

// toolPath finds an emulator's executable: $envVar if set, else the path
// below the repo root where `make tools` installs it.
func toolPath(envVar string, underRoot ...string) (string, error) {
	if p := os.Getenv(envVar); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", envVar, p, err)
		}
		return p, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(append([]string{root}, underRoot...)...)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s not found at %s: run `make tools` in %s (or set %s): %w",
			filepath.Base(p), p, root, envVar, err)
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
