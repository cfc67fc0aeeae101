package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/deploy"
	"github.com/peoplesync/peoplesync/internal/dev/devstack"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
)

// ColdStart is one function's cold start under the Lambda Runtime
// Interface Emulator and its deployed size.
type ColdStart struct {
	Function string
	// Init is the first invocation's answer time less a warm one's: the
	// binary starting, reading its environment, loading the AWS
	// configuration and building its clients and handler (median of 3).
	Init time.Duration
	// FirstAnswer is from starting the emulator's process to the first
	// answer (median of 3).
	FirstAnswer time.Duration
	// Size is the linux/arm64 bootstrap as `make build` makes it; HostSize
	// the binary built for this machine and run here.
	Size, HostSize int64
}

// trivialEvents cost their function nothing beyond its init.
var trivialEvents = map[string]string{
	"api":       "@events/api/OpenAPI.json",
	"scheduler": `{"version":"0","id":"bench","detail-type":"Scheduled Event","source":"aws.events","time":"2026-03-10T09:00:00Z","detail":{}}`,
	"worker":    `{"Records":[]}`,
	"mailer":    `{"Records":[]}`,
}

// RunColdStarts builds every function twice (linux/arm64 as deployed, and
// for this machine) and starts each host build under the RIE three times
// against a stack of its own, reusing internal/deploy's runner.
func (e *Env) RunColdStarts(ctx context.Context, dir string) ([]ColdStart, error) {
	root, err := devstack.RepoRoot()
	if err != nil {
		return nil, err
	}
	rie, err := deploy.RIEPath(root)
	if err != nil {
		return nil, err
	}
	arm, host := filepath.Join(dir, "arm64"), filepath.Join(dir, "host")
	for _, b := range []struct{ dir, arch string }{{arm, "arm64"}, {host, ""}} {
		// The flags of `make build`: what Lambda runs.
		cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w -buildid=",
			"-o", b.dir+string(filepath.Separator), "./functions/...")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b.arch != "" {
			cmd.Env = append(cmd.Env, "GOOS=linux", "GOARCH="+b.arch)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build the functions: %v\n%s", err, out)
		}
	}
	st, err := stack.Start(ctx, stack.Options{Moto: e.Moto, SES: e.SES, Prefix: "bench-cold-"})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	tpl, err := devstack.LoadTemplate(filepath.Join(root, "template.yaml"))
	if err != nil {
		return nil, err
	}
	home, err := os.MkdirTemp(dir, "home")
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		return nil, err
	}
	var out []ColdStart
	for _, fn := range entries {
		name := fn.Name()
		id := strings.ToUpper(name[:1]) + name[1:] + "Function"
		event := trivialEvents[name]
		if event == "" {
			return nil, fmt.Errorf("no trivial event for function %s", name)
		}
		if path, ok := strings.CutPrefix(event, "@"); ok {
			b, err := os.ReadFile(filepath.Join(root, path))
			if err != nil {
				return nil, err
			}
			event = string(b)
		}
		var overrides map[string]string
		if name == "worker" || name == "api" {
			overrides = map[string]string{"PEOPLEHR_BASE_URL": "http://127.0.0.1:9"}
		}
		env, err := devstack.FunctionEnv(tpl, st.Resources, id, overrides)
		if err != nil {
			return nil, err
		}
		for k, v := range map[string]string{
			"AWS_REGION": devstack.Region, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
			"AWS_ENDPOINT_URL": e.Moto.Endpoint(), "AWS_ENDPOINT_URL_SES": e.SES.Endpoint(),
			"AWS_CONFIG_FILE": filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "none"),
			"AWS_EC2_METADATA_DISABLED": "true", "HOME": home, "PATH": "/usr/bin:/bin", "TZ": "UTC",
		} {
			env[k] = v
		}
		memory, _ := strconv.Atoi(fmt.Sprint(tpl.Resources[id].Properties["MemorySize"]))
		var inits, firsts []time.Duration
		for range 3 {
			f, err := deploy.StartFunction(ctx, deploy.FunctionOptions{
				RIE: rie, Bootstrap: filepath.Join(host, name), Name: id, Env: env, Timeout: time.Minute, MemoryMB: memory,
			})
			if err != nil {
				return nil, err
			}
			cold, err := f.Invoke(ctx, []byte(event))
			first := time.Since(f.Started())
			var warm deploy.Invocation
			if err == nil {
				warm, err = f.Invoke(ctx, []byte(event))
			}
			f.Stop()
			if err == nil && (cold.FunctionError() != "" || warm.FunctionError() != "") {
				err = fmt.Errorf("%s answered %s / %s", name, cold.Payload, warm.Payload)
			}
			if err != nil {
				return nil, fmt.Errorf("cold start of %s: %w\n%s", name, err, f.Output())
			}
			inits = append(inits, max(cold.Took-warm.Took, 0))
			firsts = append(firsts, first)
		}
		cs := ColdStart{Function: name, Init: median(inits), FirstAnswer: median(firsts)}
		if fi, err := os.Stat(filepath.Join(arm, name)); err == nil {
			cs.Size = fi.Size()
		}
		if fi, err := os.Stat(filepath.Join(host, name)); err == nil {
			cs.HostSize = fi.Size()
		}
		e.progress("%-22s %-9s init %5.1f ms, first answer %5.1f ms, %4.1f MB (arm64)", "cold start", name,
			ms(cs.Init), ms(cs.FirstAnswer), MB(cs.Size))
		out = append(out, cs)
	}
	return out, nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
