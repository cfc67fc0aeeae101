package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/events"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// Throughput is the engine's throughput beside its floors, in ns per run over
// the same body.
type Throughput struct {
	N, Bytes               int
	Engine, Plain, Tokens  float64 // ns/op
	EngineAlloc, PlainAllc float64 // B/op
	Source                 string  // where the figures come from
}

// MeasureEngine runs the engine's benchmarks in this process.
func MeasureEngine(n int) (*Throughput, error) {
	body, err := Body(Employees(n))
	if err != nil {
		return nil, err
	}
	members, err := Imported(body)
	if err != nil {
		return nil, err
	}
	out := &Throughput{N: n, Bytes: len(body), Source: "testing.Benchmark in cmd/bench"}
	for _, b := range []struct {
		ns, alloc *float64
		fn        func() error
	}{
		{&out.Engine, &out.EngineAlloc, func() error { _, err := Engine(body, members); return err }},
		{&out.Plain, &out.PlainAllc, func() error { _, err := PlainDecode(body); return err }},
		{&out.Tokens, nil, func() error { _, err := TokenWalk(body); return err }},
	} {
		var failed error
		r := testing.Benchmark(func(tb *testing.B) {
			tb.ReportAllocs()
			for tb.Loop() {
				if err := b.fn(); err != nil {
					failed = err
				}
			}
		})
		if failed != nil {
			return nil, failed
		}
		*b.ns = float64(r.NsPerOp())
		if b.alloc != nil {
			*b.alloc = float64(r.AllocedBytesPerOp())
		}
	}
	return out, nil
}

// ReadEngine reads the medians of `go test -bench Decode` output (see
// engine_test.go) from path.
func ReadEngine(path string, n int) (*Throughput, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ns := map[string][]float64{}
	allocs := map[string][]float64{}
	mbs := map[string][]float64{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "BenchmarkDecode/") {
			continue
		}
		name := strings.TrimPrefix(fields[0], "BenchmarkDecode/")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i] // the -GOMAXPROCS suffix
		}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			switch fields[i+1] {
			case "ns/op":
				ns[name] = append(ns[name], v)
			case "B/op":
				allocs[name] = append(allocs[name], v)
			case "MB/s":
				mbs[name] = append(mbs[name], v)
			}
		}
	}
	if len(ns["engine"]) == 0 || len(ns["plain"]) == 0 {
		return nil, fmt.Errorf("%s: no BenchmarkDecode/engine and /plain results", path)
	}
	med := func(v []float64) float64 {
		if len(v) == 0 {
			return 0
		}
		v = slices.Clone(v)
		slices.Sort(v)
		return v[len(v)/2]
	}
	out := &Throughput{
		N: n, Engine: med(ns["engine"]), Plain: med(ns["plain"]), Tokens: med(ns["tokens"]),
		EngineAlloc: med(allocs["engine"]), PlainAllc: med(allocs["plain"]),
		Source: fmt.Sprintf("go test -bench Decode, median of %d (%s)", len(ns["engine"]), path),
	}
	out.Bytes = int(med(mbs["engine"]) * out.Engine / 1e3) // MB/s * ns = bytes * 1e-3
	return out, nil
}

// Report is one bench run.
type Report struct {
	Started    time.Time
	Took       time.Duration
	Machine    string
	Engine     *Throughput
	Peak       *Peak
	Imports    []*Imports
	Schedule   *Schedule
	Changes    *Changes
	Search     *Search
	ColdStarts []ColdStart
}

// Machine describes this computer as BENCHMARKS.md records it.
func Machine() string {
	cpu, mem := "unknown CPU", "unknown memory"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
				mem = fmt.Sprintf("%.1f GiB", kb/(1<<20))
			}
		}
	}
	return fmt.Sprintf("%d cores (nproc), %s, %s, %s %s/%s", runtime.NumCPU(), mem, cpu, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

type row struct{ what, product, floor, ratio, goal, verdict string }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func secs(s float64) string { return fmt.Sprintf("%.2f s", s) }

// Print writes the table in Markdown.
func (r *Report) Print(w io.Writer) {
	var rows []row
	for _, im := range r.Imports {
		n := shortN(im.N)
		ratio := im.Initial.Seconds / im.FloorMembers.Seconds
		rows = append(rows, row{
			fmt.Sprintf("initial import %s: time", n), secs(im.Initial.Seconds),
			fmt.Sprintf("%s: %d member items, BatchWriteItem", secs(im.FloorMembers.Seconds), im.FloorMembers.Items),
			fmt.Sprintf("%.2fx", ratio), "<= 1.3x", verdict(ratio <= 1.3),
		})
		ratio = im.Initial.Seconds / im.FloorItems.Seconds
		rows = append(rows, row{
			fmt.Sprintf("initial import %s: time, vs every item it must write", n), secs(im.Initial.Seconds),
			fmt.Sprintf("%s: %d member, email owner and log items, BatchWriteItem", secs(im.FloorItems.Seconds), im.FloorItems.Items),
			fmt.Sprintf("%.2fx", ratio), "(context)", "",
		})
		rows = append(rows, callRows(n, im.Initial)...)
		writes := im.NoChange.DB.Writes[KindMember]
		rows = append(rows, row{
			fmt.Sprintf("no-change resync %s: member writes", n), strconv.Itoa(writes), "0", "", "0", verdict(writes == 0),
		})
		floor := (im.FloorFetch + im.FloorRead).Seconds()
		ratio = im.NoChange.Seconds / floor
		rows = append(rows, row{
			fmt.Sprintf("no-change resync %s: time", n), fmt.Sprintf("%s (mean of %s)", secs(im.NoChange.Seconds), joinSecs(im.NoChangeRuns)),
			fmt.Sprintf("%s: fetch %.1f MB %s + read %d members %s (means of 2)", secs(floor), float64(im.FeedBytes)/1e6,
				secs(im.FloorFetch.Seconds()), im.MembersRead, secs(im.FloorRead.Seconds())),
			fmt.Sprintf("%.2fx", ratio), "<= 1.2x", verdict(ratio <= 1.2),
		})
		// moto's Query time varies by a quarter from read to read; what the
		// run does beside reading the members is the engine's own work.
		if q, ok := im.NoChange.DB.Millis["Query"]; ok {
			beside := im.NoChange.Seconds - float64(q)/1e3/float64(len(im.NoChangeRuns))
			rows = append(rows, row{
				fmt.Sprintf("no-change resync %s: time beside reading the members", n),
				fmt.Sprintf("%s (its member reads took %.2f s)", secs(beside), float64(q)/1e3/float64(len(im.NoChangeRuns))),
				fmt.Sprintf("%s: fetch the feed", secs(im.FloorFetch.Seconds())),
				fmt.Sprintf("%.2fx", beside/im.FloorFetch.Seconds()), "(context)", "",
			})
		}
		c := im.Changed
		if im.Mix.Changed() == 0 {
			continue
		}
		got := c.DB.Writes[KindMember] + c.DB.Writes[KindOwner] + c.DB.Writes[KindLog]
		changed := im.Mix.Changed()
		ratio = float64(got) / float64(im.Mix.Needed())
		rows = append(rows, row{
			fmt.Sprintf("1%% changed resync %s: table writes per changed member", n),
			fmt.Sprintf("%.2f (%d member + %d owner + %d log items for %d changes)", float64(got)/float64(changed),
				c.DB.Writes[KindMember], c.DB.Writes[KindOwner], c.DB.Writes[KindLog], changed),
			fmt.Sprintf("%.2f: %d updates x2, %d leavers x3, %d email changes x4, %d starters x3",
				float64(im.Mix.Needed())/float64(changed), im.Mix.Updates, im.Mix.Leavers, im.Mix.EmailChanges, im.Mix.Starters),
			fmt.Sprintf("%.2fx", ratio), "= 1.00x", verdict(got == im.Mix.Needed() && c.DB.Writes[KindMember] == changed),
		})
	}
	if e := r.Engine; e != nil {
		ratio := e.Plain / e.Engine
		rows = append(rows, row{
			fmt.Sprintf("engine %s: decode + map + plan", shortN(e.N)),
			fmt.Sprintf("%.2f s, %.0f MB/s", e.Engine/1e9, float64(e.Bytes)/e.Engine*1e3),
			fmt.Sprintf("%.2f s, %.0f MB/s: plain streaming decode (tokens only: %.2f s)", e.Plain/1e9, float64(e.Bytes)/e.Plain*1e3, e.Tokens/1e9),
			fmt.Sprintf("%.2fx", ratio), ">= 0.8x", verdict(ratio >= 0.8),
		})
	}
	if p := r.Peak; p != nil {
		rss := MB(p.Run.Memory.PeakRSS)
		rows = append(rows, row{
			fmt.Sprintf("first import %s: peak RSS", shortN(p.N)),
			fmt.Sprintf("%.0f MB (heap peak %.0f MB)", rss, MB(p.Run.Memory.PeakHeap)),
			fmt.Sprintf("%.0f MB: naive whole-body decode (heap peak %.0f MB)", MB(p.Naive.Memory.PeakRSS), MB(p.Naive.Memory.PeakHeap)),
			fmt.Sprintf("%.2fx", rss/MB(p.Naive.Memory.PeakRSS)), "<= 150 MB", verdict(rss <= 150),
		})
	}
	if s := r.Schedule; s != nil {
		calls := s.SQS.Calls["SendMessageBatch"]
		rows = append(rows, row{
			fmt.Sprintf("scheduler, %s due tenants: SQS calls", shortN(s.Tenants)),
			fmt.Sprintf("%d (%d queued, tick %.1f s)", calls, s.Queued, s.Seconds),
			fmt.Sprintf("%d: 10 jobs a SendMessageBatch", (s.Tenants+9)/10),
			fmt.Sprintf("%.2fx", float64(calls)/float64((s.Tenants+9)/10)), "<= 1,000", verdict(calls <= 1000 && s.Queued == s.Tenants),
		})
	}
	rows = append(rows, r.Changes.rows()...)
	if s := r.Search; s != nil {
		rows = append(rows, s.rows()...)
	}
	for _, c := range r.ColdStarts {
		rows = append(rows, row{
			"cold init " + c.Function + " (RIE)", fmt.Sprintf("%.1f ms", ms(c.Init)),
			fmt.Sprintf("first answer %.0f ms after process start; bootstrap %.1f MB arm64 (%.1f MB host)", ms(c.FirstAnswer), MB(c.Size), MB(c.HostSize)),
			"", "<= 100 ms", verdict(c.Init <= 100*time.Millisecond),
		})
	}
	fmt.Fprintf(w, "peoplesync bench, %s, took %s\n%s\n\n", r.Started.UTC().Format("2006-01-02 15:04 UTC"), r.Took.Round(time.Second), r.Machine)
	fmt.Fprintln(w, "| measure | product | floor, measured in the same run | ratio | goal | |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, x := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", x.what, x.product, x.floor, x.ratio, x.goal, x.verdict)
	}
	if r.Engine != nil {
		fmt.Fprintf(w, "\nengine: %s\n", r.Engine.Source)
	}
	for _, im := range r.Imports {
		fmt.Fprintf(w, "\n%s tenant, calls per run (moto; mail-queue purges taken out of the times: %d purges, %.1f s):\n", shortN(im.N), im.Initial.Purges, im.Initial.PurgeSeconds)
		for _, x := range []struct {
			name string
			r    RunResult
		}{{"initial", im.Initial}, {"no-change", im.NoChange}, {"1% changed", im.Changed}} {
			if !x.r.Finished {
				continue
			}
			fmt.Fprintf(w, "  %-10s %7.2f s  dynamodb %v writes %v ms %v | sqs %v msgs %d | events %d in %d calls | peak RSS %.0f MB\n",
				x.name, x.r.Seconds, sorted(x.r.DB.Calls), sorted(x.r.DB.Writes), sorted64(x.r.DB.Millis), sorted(x.r.SQS.Calls), x.r.SQS.Writes["messages"],
				x.r.Bus.Writes["events"], x.r.Bus.Calls["PutEvents"], MB(x.r.Memory.PeakRSS))
		}
	}
	if p := r.Peak; p != nil {
		fmt.Fprintf(w, "\n%s first import (writes built, counted, not sent): %.2f s, %v, %d mail jobs, %d events, allocated %.0f MB\n",
			shortN(p.N), p.Run.Seconds, sorted(p.Run.DB.Writes), p.Run.SQS.Writes["messages"], p.Run.Bus.Writes["events"], MB(p.Run.Memory.AllocTotl))
	}
}

func sorted(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func shortN(n int) string {
	if n >= 1000 && n%1000 == 0 {
		return fmt.Sprintf("%dk", n/1000)
	}
	return strconv.Itoa(n)
}

func joinSecs(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(parts, ", ")
}

func sorted64(m map[string]int64) string {
	n := make(map[string]int, len(m))
	for k, v := range m {
		n[k] = int(v)
	}
	return sorted(n)
}

// callRows are a first import's SQS and EventBridge calls beside the
// fewest that carry them: its welcomes packed integration.WelcomesPerJob
// to a mail job and ten jobs a SendMessageBatch, plus the summary's own
// call; its events ten a PutEvents, plus the import's own.
func callRows(n string, r RunResult) []row {
	jobs := (r.Counts.Created + integration.WelcomesPerJob - 1) / integration.WelcomesPerJob
	mail, mailFloor := r.SQS.Calls["SendMessageBatch"], (jobs+9)/10+1
	evs := r.Bus.Writes["events"]
	puts, putFloor := r.Bus.Calls["PutEvents"], (max(evs-1, 0)+9)/10+1
	return []row{{
		fmt.Sprintf("initial import %s: SQS calls (mail jobs)", n),
		fmt.Sprintf("%d (%d messages; %.2f s with a call in flight)", mail, r.SQS.Writes["messages"], float64(r.SQS.WallMillis["SendMessageBatch"])/1e3),
		fmt.Sprintf("%d: %d welcomes, %d a job, 10 jobs a call, + the summary's", mailFloor, r.Counts.Created, integration.WelcomesPerJob),
		fmt.Sprintf("%.2fx", float64(mail)/float64(mailFloor)), "<= 1.0x", verdict(mail <= mailFloor),
	}, {
		fmt.Sprintf("initial import %s: EventBridge calls", n),
		fmt.Sprintf("%d (%d events; %.2f s with a call in flight, up to %d at once; %.2f s of calls)", puts, evs,
			float64(r.Bus.WallMillis["PutEvents"])/1e3, events.InFlight, float64(r.Bus.Millis["PutEvents"])/1e3),
		fmt.Sprintf("%d: 10 events a call, + the import's own", putFloor),
		fmt.Sprintf("%.2fx", float64(puts)/float64(putFloor)), "<= 1.0x", verdict(puts <= putFloor),
	}}
}
