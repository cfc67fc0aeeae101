package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// Peak is a large tenant's first import, run by the worker in a process of
// its own, beside a naive read of the same feed.
type Peak struct {
	N     int
	Run   RunResult
	Naive NaiveResult
}

// RunPeak measures the peak memory of a first import of n employees (the
// run that holds the most: every record, every change, every log line and
// event) and of a naive whole-body decode of the same feed. The run's
// member, owner and log writes, mail jobs and events are built and counted
// but not sent (RunRequest.Sink).
func (e *Env) RunPeak(ctx context.Context, n int) (*Peak, error) {
	st, err := e.benchStack(ctx, "peak", n, Employees(n), func() time.Time { return Today })
	if err != nil {
		return nil, err
	}
	defer st.Close()
	out := &Peak{N: n}
	req := RunRequest{
		Endpoint: e.Moto.Endpoint(), Env: st.WorkerEnv, MemoryMB: st.WorkerMemoryMB, Now: Today, Sink: true,
		Job: integration.Job{TenantID: TenantID, RunID: integration.NewRunID(Today), Trigger: integration.TriggerManual},
	}
	if err := CallChild(ctx, e.Self, "run", req, &out.Run); err != nil {
		return nil, err
	}
	if out.Run.Error != "" || !out.Run.Finished {
		return nil, fmt.Errorf("the %d run: %s %s %s", n, out.Run.Status, out.Run.Error, out.Run.Failure)
	}
	e.progress("%-22s %6d employees: %7.2f s, peak RSS %5.1f MB (writes not sent)", "first import, memory", n, out.Run.Seconds, MB(out.Run.Memory.PeakRSS))
	if err := CallChild(ctx, e.Self, "naive", NaiveRequest{URL: st.Sandbox.URL(), APIKey: peoplehrtest.DefaultAPIKey}, &out.Naive); err != nil {
		return nil, err
	}
	if out.Naive.Error != "" {
		return nil, fmt.Errorf("naive read: %s", out.Naive.Error)
	}
	e.progress("%-22s %6d employees: peak RSS %5.1f MB", "naive decode", out.Naive.Records, MB(out.Naive.Memory.PeakRSS))
	return out, nil
}
