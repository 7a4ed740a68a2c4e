package bench_test

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/wormstore/wormstore/bench"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    bench.Size
		wantErr bool
	}{
		{in: "4KiB", want: 4 << 10},
		{in: "10MiB", want: 10 << 20},
		{in: "10mib", want: 10 << 20},
		{in: "1GiB", want: 1 << 30},
		{in: "4KB", want: 4000},
		{in: "10MB", want: 10_000_000},
		{in: "1.5MiB", want: 3 << 19},
		{in: "512", want: 512},
		{in: "512B", want: 512},
		{in: "64k", want: 64 << 10},
		{in: "", wantErr: true},
		{in: "MiB", wantErr: true},
		{in: "10XB", wantErr: true},
		{in: "-1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := bench.ParseSize(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseSize(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseSize(%q): got %d, want %d", tt.in, got, tt.want)
			}
		})
	}
	for _, tt := range []struct {
		s    bench.Size
		want string
	}{{64 << 10, "64KiB"}, {10 << 20, "10MiB"}, {4000, "4000B"}, {0, "0B"}} {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("Size(%d).String(): got %q, want %q", int64(tt.s), got, tt.want)
		}
	}
}

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{name: "empty", sorted: nil, p: 50, want: 0},
		{name: "one", sorted: ms(7), p: 99, want: 7 * time.Millisecond},
		{name: "median of four is the second", sorted: ms(1, 2, 3, 4), p: 50, want: 2 * time.Millisecond},
		{name: "p90 of 1..100", sorted: ms(hundred...), p: 90, want: 90 * time.Millisecond},
		{name: "p99 of 1..100", sorted: ms(hundred...), p: 99, want: 99 * time.Millisecond},
		{name: "p100", sorted: ms(hundred...), p: 100, want: 100 * time.Millisecond},
		{name: "p99 of ten is the last", sorted: ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), p: 99, want: 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bench.Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(p%v): got %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

// near reports whether got is within 1e-6 of want.
func near(got, want float64) bool { return math.Abs(got-want) < 1e-6 }

func TestSummarizeLatency(t *testing.T) {
	s := time.Second
	var ops []bench.Op
	// Warm-up (excluded): one slow op.
	ops = append(ops, bench.Op{Type: bench.OpPut, Start: 0, End: 500 * time.Millisecond, Bytes: 100, Objects: 1})
	// Window 1s..3s: latencies 1..100 ms.
	for i := 1; i <= 100; i++ {
		start := s + time.Duration(i)*10*time.Millisecond
		ops = append(ops, bench.Op{Type: bench.OpPut, Start: start, End: start + time.Duration(i)*time.Millisecond, Bytes: 1 << 20, Objects: 1})
	}
	// An error in the window, and an op of another type.
	ops = append(ops, bench.Op{Type: bench.OpPut, Start: 2 * s, End: 2*s + time.Millisecond, Err: "AccessDenied"})
	ops = append(ops, bench.Op{Type: bench.OpGet, Start: 2 * s, End: 2*s + time.Millisecond, Objects: 1})

	st := bench.Summarize(bench.OpPut, ops, 4, bench.Window{Start: 0, From: s, To: 3 * s})
	if st.Count != 102 || st.Considered != 100 || st.Errors != 1 {
		t.Fatalf("count/considered/errors: got %d/%d/%d, want 102/100/1", st.Count, st.Considered, st.Errors)
	}
	if len(st.ErrorSamples) != 1 || st.ErrorSamples[0] != "AccessDenied" {
		t.Errorf("error samples: got %q, want [AccessDenied]", st.ErrorSamples)
	}
	l := st.Latency
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"avg", l.Avg, 50.5}, {"p50", l.P50, 50}, {"p90", l.P90, 90}, {"p99", l.P99, 99},
		{"fastest", l.Fastest, 1}, {"slowest", l.Slowest, 100},
		{"stddev", l.StdDev, math.Sqrt((100*100 - 1) / 12.0)},
	} {
		if !near(c.got, c.want) {
			t.Errorf("latency %s: got %v ms, want %v ms", c.name, c.got, c.want)
		}
	}
	if st.TTFB != nil {
		t.Errorf("PUT has TTFB %+v, want none", st.TTFB)
	}
	if st.AvgSize != 1<<20 || st.Concurrency != 4 || st.Duration != 2 {
		t.Errorf("size/concurrency/duration: got %d/%d/%v, want %d/4/2", st.AvgSize, st.Concurrency, st.Duration, 1<<20)
	}
	// 100 MiB moved inside the window of 2 s.
	if !near(st.Throughput.MiBPerSec, 50) || !near(st.Throughput.ObjPerSec, 50) {
		t.Errorf("throughput: got %+v, want 50 MiB/s, 50 obj/s", st.Throughput)
	}
	var n int
	for _, b := range st.Histogram {
		n += b.Count
	}
	if n != 100 || len(st.Histogram) == 0 || !near(st.Histogram[0].Lo, 1) || !near(st.Histogram[len(st.Histogram)-1].Hi, 100) {
		t.Errorf("histogram: %d requests in %d bins %v..%v, want 100 in 1..100 ms", n, len(st.Histogram), st.Histogram[0].Lo, st.Histogram[len(st.Histogram)-1].Hi)
	}
}

func TestSummarizeTTFB(t *testing.T) {
	var ops []bench.Op
	for i := 1; i <= 4; i++ {
		d := time.Duration(i) * time.Millisecond
		ops = append(ops, bench.Op{Type: bench.OpGet, Start: 0, End: 10 * d, TTFB: d, Bytes: 10, Objects: 1})
	}
	st := bench.Summarize(bench.OpGet, ops, 1, bench.Window{To: time.Second})
	if st.TTFB == nil {
		t.Fatal("GET without TTFB")
	}
	got := *st.TTFB
	want := bench.TTFB{Avg: 2.5, Best: 1, P25: 1, Median: 2, P75: 3, P90: 4, P99: 4, Worst: 4, StdDev: math.Sqrt(1.25)}
	if !near(got.Avg, want.Avg) || got.Best != want.Best || got.P25 != want.P25 || got.Median != want.Median ||
		got.P75 != want.P75 || got.P90 != want.P90 || got.P99 != want.P99 || got.Worst != want.Worst || !near(got.StdDev, want.StdDev) {
		t.Errorf("TTFB: got %+v, want %+v", got, want)
	}
}

func TestSummarizePerSecond(t *testing.T) {
	s := time.Second
	mib := int64(1 << 20)
	ops := []bench.Op{
		// 4 MiB in second 0 and 2 MiB in second 1 (spanning 0.5..1.5 s,
		// 1 MiB on either side).
		{Type: bench.OpPut, Start: 0, End: 100 * time.Millisecond, Bytes: 3 * mib, Objects: 1},
		{Type: bench.OpPut, Start: s / 2, End: 3 * s / 2, Bytes: 2 * mib, Objects: 1},
		{Type: bench.OpPut, Start: 1200 * time.Millisecond, End: 1300 * time.Millisecond, Bytes: 1 * mib, Objects: 1},
		// 8 MiB in second 2.
		{Type: bench.OpPut, Start: 2 * s, End: 3 * s, Bytes: 8 * mib, Objects: 1},
		// Failed ops move nothing.
		{Type: bench.OpPut, Start: 2 * s, End: 2 * s, Bytes: 100 * mib, Objects: 1, Err: "boom"},
	}
	st := bench.Summarize(bench.OpPut, ops, 2, bench.Window{To: 3 * s})
	p := st.PerSecond
	if p.Seconds != 3 {
		t.Fatalf("seconds: got %d, want 3", p.Seconds)
	}
	if !near(p.Slowest.MiBPerSec, 2) || !near(p.Median.MiBPerSec, 4) || !near(p.Fastest.MiBPerSec, 8) {
		t.Errorf("per second slowest/median/fastest: got %v/%v/%v MiB/s, want 2/4/8",
			p.Slowest.MiBPerSec, p.Median.MiBPerSec, p.Fastest.MiBPerSec)
	}
	if !near(p.Median.ObjPerSec, 1.5) || !near(p.Slowest.ObjPerSec, 1.5) || !near(p.Fastest.ObjPerSec, 1) {
		t.Errorf("per second obj/s: got %v/%v/%v, want 1.5/1.5/1", p.Slowest.ObjPerSec, p.Median.ObjPerSec, p.Fastest.ObjPerSec)
	}
	if !near(st.Throughput.MiBPerSec, 14.0/3) {
		t.Errorf("average: got %v MiB/s, want %v", st.Throughput.MiBPerSec, 14.0/3)
	}
	if len(st.Timeline) != 3 || !near(st.Timeline[1].MiBPerSec, 2) || st.Timeline[2].Errors != 1 {
		t.Errorf("timeline: got %+v, want 3 samples, 2 MiB/s in the second, 1 error in the third", st.Timeline)
	}
}

func TestSummarizeWarmupTimeline(t *testing.T) {
	// The timeline starts at the load's start and includes the warm-up;
	// the statistics do not.
	s := time.Second
	ops := []bench.Op{
		{Type: bench.OpStat, Start: s / 2, End: s/2 + 1, Objects: 1},
		{Type: bench.OpStat, Start: 3 * s / 2, End: 3*s/2 + 1, Objects: 1},
		{Type: bench.OpStat, Start: 5 * s / 2, End: 5*s/2 + 1, Objects: 1},
	}
	st := bench.Summarize(bench.OpStat, ops, 1, bench.Window{Start: 0, From: s, To: 11 * s / 4})
	if st.Considered != 2 || len(st.Timeline) != 3 || st.WarmupEnd != 1 || st.PerSecond.Seconds != 1 {
		t.Errorf("got considered %d, %d timeline samples, warm-up end %v, %d seconds; want 2, 3, 1, 1",
			st.Considered, len(st.Timeline), st.WarmupEnd, st.PerSecond.Seconds)
	}
	// The last sample covers 0.75 s.
	if got := st.Timeline[2].ObjPerSec; !near(got, 4.0/3) {
		t.Errorf("last sample: got %v obj/s, want %v", got, 4.0/3)
	}
	if got := st.Timeline[0].ObjPerSec; !near(got, 1) {
		t.Errorf("warm-up sample: got %v obj/s, want 1", got)
	}
}

// sampleReport is a small report with a PUT and a GET.
func sampleReport() *bench.Report {
	var ops []bench.Op
	for i := range 200 {
		start := time.Duration(i) * 10 * time.Millisecond
		lat := time.Duration(1+i%17) * time.Millisecond
		ops = append(ops,
			bench.Op{Type: bench.OpPut, Start: start, End: start + lat, Bytes: 64 << 10, Objects: 1},
			bench.Op{Type: bench.OpGet, Start: start, End: start + 2*lat, TTFB: lat, Bytes: 64 << 10, Objects: 1})
	}
	win := bench.Window{Start: 0, From: 500 * time.Millisecond, To: 2 * time.Second}
	return &bench.Report{
		Workload: bench.WorkloadMixed, Endpoint: "http://127.0.0.1:9000", Bucket: "b", Prefix: "wsbench-x/",
		Concurrency: 4, ObjectSize: 64 << 10, Duration: 1.5, Warmup: 0.5,
		Machine: bench.Machine{CPUs: 2, GOMAXPROCS: 2, GOOS: "linux", GOARCH: "amd64"},
		Operations: []bench.OpStats{
			bench.Summarize(bench.OpPut, ops, 4, win),
			bench.Summarize(bench.OpGet, ops, 4, win),
		},
		Locked: []bench.LockedVersion{{Key: "wsbench-x/000/1", VersionID: "v1", Mode: "COMPLIANCE", RetainUntil: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}},
	}
}

func TestReportJSONShape(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	for _, k := range []string{"version", "workload", "endpoint", "embedded", "bucket", "prefix", "concurrency", "object_size",
		"random_size", "started", "duration_s", "warmup_s", "machine", "interrupted", "operations", "locked_versions", "cleanup"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("report has no %q", k)
		}
	}
	if doc["version"] != float64(bench.ReportVersion) {
		t.Errorf("version: got %v, want %d", doc["version"], bench.ReportVersion)
	}
	ops := doc["operations"].([]any)
	if len(ops) != 2 {
		t.Fatalf("operations: got %d, want 2", len(ops))
	}
	for _, o := range ops {
		op := o.(map[string]any)
		for _, k := range []string{"operation", "count", "considered", "errors", "duration_s", "concurrency", "avg_size_bytes",
			"latency_ms", "throughput", "per_second", "timeline", "latency_histogram", "warmup_end_s"} {
			if _, ok := op[k]; !ok {
				t.Errorf("%v has no %q", op["operation"], k)
			}
		}
		for _, k := range []string{"avg", "p50", "p90", "p99", "fastest", "slowest", "stddev"} {
			if _, ok := op["latency_ms"].(map[string]any)[k]; !ok {
				t.Errorf("%v latency_ms has no %q", op["operation"], k)
			}
		}
		for _, k := range []string{"seconds", "fastest", "median", "slowest"} {
			if _, ok := op["per_second"].(map[string]any)[k]; !ok {
				t.Errorf("%v per_second has no %q", op["operation"], k)
			}
		}
		_, hasTTFB := op["ttfb_ms"]
		if want := op["operation"] == bench.OpGet; hasTTFB != want {
			t.Errorf("%v: ttfb_ms present %v, want %v", op["operation"], hasTTFB, want)
		}
	}
	l := doc["locked_versions"].([]any)[0].(map[string]any)
	if l["retain_until"] != "2030-01-02T03:04:05Z" || l["mode"] != "COMPLIANCE" {
		t.Errorf("locked version: got %v", l)
	}
}

func TestReportText(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"Operation: PUT (200). Ran 1.5s. Size: 64KiB (65536 bytes). Concurrency: 4.",
		"Requests considered: 150. Errors: 0.",
		" * Avg: ", ", 50%: ", ", 90%: ", ", 99%: ", ", Fastest: ", ", Slowest: ", ", StdDev: ",
		"Throughput:\n * Average: ", " MiB/s, ", " obj/s",
		"Throughput, split into 1 x 1s:", " * Fastest: ", " * 50% Median: ", " * Slowest: ",
		"Operation: GET (200).", " * TTFB: Avg: ", ", Best: ", ", 25th: ", ", Median: ", ", 75th: ", ", 90th: ", ", 99th: ", ", Worst: ",
		"Client machine: 2 CPUs",
		"Left behind under a lock: 1 version(s)", "retained until 2030-01-02T03:04:05Z",
		"wsbench-x/000/1 version v1: COMPLIANCE until 2030-01-02T03:04:05Z",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestReportHTML(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if n := strings.Count(out, "<svg "); n != 4 {
		t.Errorf("got %d SVG charts, want 4 (histogram and timeline per operation)", n)
	}
	for _, want := range []string{
		"<!DOCTYPE html>", "Latency histogram", "Throughput over time", `class="bar"`, `<polyline class="mib"`,
		`<polyline class="obj"`, `class="warmup"`, "p50 ", "p99 ", "TTFB", `<script type="application/json" id="report">`,
		"retained until 2030-01-02T03:04:05Z",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// Self-contained: nothing is fetched.
	for _, bad := range []string{" src=", "<link", "@import", "url("} {
		if strings.Contains(out, bad) {
			t.Errorf("HTML contains %q: the report must be self-contained", bad)
		}
	}
	// The embedded JSON is the report.
	i := strings.Index(out, `id="report">`) + len(`id="report">`)
	j := strings.Index(out[i:], "</script>")
	var doc struct{ Operations []struct{ Operation string } }
	if err := json.Unmarshal([]byte(out[i:i+j]), &doc); err != nil || len(doc.Operations) != 2 {
		t.Errorf("embedded JSON: %v, %d operations; want 2", err, len(doc.Operations))
	}
}
