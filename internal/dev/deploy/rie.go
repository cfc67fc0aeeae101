package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/devstack"
)

// RIEPath finds the Lambda Runtime Interface Emulator: $AWS_LAMBDA_RIE if
// set, else <root>/.tools/aws-lambda-rie, which `make tools` builds from the
// version go.mod pins.
func RIEPath(root string) (string, error) {
	p := os.Getenv("AWS_LAMBDA_RIE")
	if p == "" {
		p = filepath.Join(root, ".tools", "aws-lambda-rie")
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("the Lambda RIE is not at %s: run `make tools` (or set AWS_LAMBDA_RIE): %w", p, err)
	}
	return p, nil
}

// FunctionOptions say how to run one function under the RIE.
type FunctionOptions struct {
	RIE       string // the aws-lambda-rie executable
	Bootstrap string // the function's binary
	Name      string // AWS_LAMBDA_FUNCTION_NAME
	// Env is the function's whole environment: nothing of this process's
	// own is passed on, so no developer setting (AWS_PROFILE, ~/.aws) can
	// reach it.
	Env      map[string]string
	Timeout  time.Duration // the function's timeout, as the RIE enforces it
	MemoryMB int
}

// Function is a bootstrap binary running under the RIE: the emulator serves
// Lambda's invoke API on a 127.0.0.1 port and runs the binary against its
// own runtime API on another, as Lambda's provided.al2023 runtime would.
type Function struct {
	name     string
	endpoint string
	cmd      *exec.Cmd
	exited   chan struct{}
	out      *syncBuffer
	started  time.Time
	stopOnce sync.Once
}

// riePortAttempts is how often a start is retried when another process
// takes one of the free ports first.
const riePortAttempts = 3

// StartFunction starts the RIE with the function's binary and returns once
// the emulator accepts invocations. The binary itself starts (Lambda's init
// phase) on the first invocation, as in Lambda. The caller must Stop it.
func StartFunction(ctx context.Context, o FunctionOptions) (*Function, error) {
	var err error
	for range riePortAttempts {
		var f *Function
		f, err = startFunction(ctx, o)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	return nil, fmt.Errorf("start %s under the RIE: %w", o.Name, err)
}

var errPortTaken = errors.New("port taken")

func startFunction(ctx context.Context, o FunctionOptions) (*Function, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	f := &Function{
		name:     o.Name,
		endpoint: "http://127.0.0.1:" + strconv.Itoa(ports[0]),
		exited:   make(chan struct{}),
		out:      &syncBuffer{},
	}
	env := maps.Clone(o.Env)
	env["AWS_LAMBDA_FUNCTION_NAME"] = o.Name
	env["AWS_LAMBDA_FUNCTION_TIMEOUT"] = strconv.Itoa(int(o.Timeout / time.Second))
	env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = strconv.Itoa(o.MemoryMB)
	f.cmd = exec.Command(o.RIE,
		// Both of its servers on loopback only: by default the invoke API
		// listens on 0.0.0.0:8080 and the runtime API on 127.0.0.1:9001.
		"--runtime-interface-emulator-address", "127.0.0.1:"+strconv.Itoa(ports[0]),
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(ports[1]),
		"--log-level", "warn",
		o.Bootstrap)
	f.cmd.Dir = filepath.Dir(o.Bootstrap)
	f.cmd.Env = envList(env)
	f.cmd.Stdout, f.cmd.Stderr = f.out, f.out
	f.started = time.Now()
	if err := devstack.StartChild(f.cmd, f.exited); err != nil {
		return nil, err
	}
	if err := f.waitListening(ctx, 10*time.Second); err != nil {
		f.Stop()
		if strings.Contains(f.out.String(), "address already in use") {
			return nil, errPortTaken
		}
		return nil, fmt.Errorf("%w; its output:\n%s", err, f.out.String())
	}
	return f, nil
}

// waitListening returns once the invoke API accepts connections.
func (f *Function) waitListening(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	addr := strings.TrimPrefix(f.endpoint, "http://")
	for {
		select {
		case <-f.exited:
			return errors.New("the RIE exited during startup")
		case <-ctx.Done():
			return fmt.Errorf("the RIE is not listening on %s: %w", addr, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
	}
}

// Started is when the emulator's process started.
func (f *Function) Started() time.Time { return f.started }

// Invocation is the answer to one invocation.
type Invocation struct {
	Status  int    // the invoke API's HTTP status
	Payload []byte // what the handler returned, or Lambda's error document
	Took    time.Duration
}

// FunctionError is the errorType of Lambda's error document, "" when the
// handler returned normally.
func (inv Invocation) FunctionError() string {
	m := regexp.MustCompile(`^\{"errorMessage":.*"errorType":"([^"]*)"`).FindSubmatch(bytes.TrimSpace(inv.Payload))
	if m == nil {
		return ""
	}
	return string(m[1])
}

// Invoke sends one event, as Lambda's Invoke API would, and returns what
// the handler answered. The RIE runs one invocation at a time.
func (f *Function) Invoke(ctx context.Context, event []byte) (Invocation, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.endpoint+"/2015-03-31/functions/function/invocations", bytes.NewReader(event))
	if err != nil {
		return Invocation{}, err
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Invocation{}, fmt.Errorf("invoke %s: %w", f.name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Invocation{}, fmt.Errorf("invoke %s: read answer: %w", f.name, err)
	}
	return Invocation{Status: resp.StatusCode, Payload: body, Took: time.Since(start)}, nil
}

// Output is everything the emulator and the function wrote so far: the
// RIE's START/END/REPORT lines and the function's JSON logs. (The RIE's
// "Init Duration" is not the function's init: it starts the binary
// without waiting for it. Time a first and a second invocation instead.)
func (f *Function) Output() string { return f.out.String() }

// Stop kills the emulator and the function (its process group) and waits
// for the emulator to be reaped. It is safe to call more than once.
func (f *Function) Stop() {
	f.stopOnce.Do(func() {
		select {
		case <-f.exited:
		default:
			_ = syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
			<-f.exited
		}
	})
}

// Exited reports whether the emulator's process has ended.
func (f *Function) Exited() bool {
	select {
	case <-f.exited:
		return true
	default:
		return false
	}
}

// freePorts asks the kernel for n distinct free 127.0.0.1 ports; another
// process may take one before the RIE binds it (StartFunction retries).
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// syncBuffer collects a process's output for reading while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
