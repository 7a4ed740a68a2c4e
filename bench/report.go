package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Op is one timed request (or, for LIST, one complete listing) as Run
// records it. Times are relative to the start of the run.
type Op struct {
	// Type is the operation, e.g. OpPut.
	Type string
	// Start and End bound the request: from just before the SDK call to
	// the end of the response body.
	Start, End time.Duration
	// TTFB is the time to the response headers (GET only, else 0).
	TTFB time.Duration
	// Bytes is the object or part size moved; 0 for metadata operations.
	Bytes int64
	// Objects is the number of objects the op handled: 1, or the keys a
	// LIST returned, or the keys a DeleteObjects removed.
	Objects int
	// Err is the error, "" on success.
	Err string
}

// Window is the span over which Summarize analyses operations: Start is
// where the timeline begins (the warm-up is shown there), From..To the
// measured window.
type Window struct{ Start, From, To time.Duration }

// Report is the result of Run, and the document --json writes. Its shape
// is versioned by Version; fields are only ever added.
type Report struct {
	Version  int      `json:"version"`
	Workload Workload `json:"workload"`
	Endpoint string   `json:"endpoint"`
	// Client is the SDK that issued the requests: aws or minio.
	Client string `json:"client"`
	// Embedded is set when the server ran in the benchmark's process.
	Embedded    bool      `json:"embedded"`
	Bucket      string    `json:"bucket"`
	Prefix      string    `json:"prefix"`
	Concurrency int       `json:"concurrency"`
	ObjectSize  int64     `json:"object_size"`
	RandomSize  bool      `json:"random_size"`
	Started     time.Time `json:"started"`
	Duration    float64   `json:"duration_s"`
	Warmup      float64   `json:"warmup_s"`
	Machine     Machine   `json:"machine"`
	// ClientCPUPerOp is this process's CPU time (user+system) over the
	// load phase (warm-up included) divided by its requests, in µs: the
	// load client's cost per request when the server runs in another
	// process (not with Embedded, where it includes the server).
	ClientCPUPerOp float64 `json:"client_cpu_us_per_op,omitempty"`
	// Interrupted is set when the run was cancelled before its end.
	Interrupted bool      `json:"interrupted"`
	Operations  []OpStats `json:"operations"`
	// Locked lists the versions the run could not delete because of a
	// lock (normally the retention workload's own).
	Locked  []LockedVersion `json:"locked_versions"`
	Cleanup CleanupReport   `json:"cleanup"`
}

// ReportVersion is Report.Version.
const ReportVersion = 1

// Machine describes the machine the benchmark client ran on.
type Machine struct {
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	GoVersion  string `json:"go_version"`
}

// LockedVersion is a version left behind under a lock.
type LockedVersion struct {
	Key         string    `json:"key"`
	VersionID   string    `json:"version_id"`
	Mode        string    `json:"mode,omitempty"`
	RetainUntil time.Time `json:"retain_until,omitzero"`
	LegalHold   bool      `json:"legal_hold,omitempty"`
}

// CleanupReport is what clean-up did.
type CleanupReport struct {
	DeletedVersions int      `json:"deleted_versions"`
	AbortedUploads  int      `json:"aborted_uploads"`
	BucketDeleted   bool     `json:"bucket_deleted"`
	Errors          []string `json:"errors,omitempty"`
}

// OpStats are the statistics of one operation type, in warp's terms.
type OpStats struct {
	Operation string `json:"operation"`
	// Count is every operation of the type, including warm-up and
	// errors; Considered the successful ones started in the window;
	// Errors the failed ones started in the window.
	Count        int      `json:"count"`
	Considered   int      `json:"considered"`
	Errors       int      `json:"errors"`
	ErrorSamples []string `json:"error_samples,omitempty"`
	// Duration is the window's length in seconds.
	Duration    float64 `json:"duration_s"`
	Concurrency int     `json:"concurrency"`
	// AvgSize is the mean size of the considered operations in bytes.
	AvgSize    int64      `json:"avg_size_bytes"`
	Latency    Latency    `json:"latency_ms"`
	TTFB       *TTFB      `json:"ttfb_ms,omitempty"`
	Throughput Throughput `json:"throughput"`
	PerSecond  PerSecond  `json:"per_second"`
	Timeline   []Sample   `json:"timeline"`
	Histogram  []Bin      `json:"latency_histogram"`
	WarmupEnd  float64    `json:"warmup_end_s"`
}

// Latency is the request-time distribution in milliseconds.
type Latency struct {
	Avg     float64 `json:"avg"`
	P50     float64 `json:"p50"`
	P90     float64 `json:"p90"`
	P99     float64 `json:"p99"`
	Fastest float64 `json:"fastest"`
	Slowest float64 `json:"slowest"`
	StdDev  float64 `json:"stddev"`
}

// TTFB is the time-to-first-byte distribution in milliseconds, as warp
// prints it for GET.
type TTFB struct {
	Avg    float64 `json:"avg"`
	Best   float64 `json:"best"`
	P25    float64 `json:"p25"`
	Median float64 `json:"median"`
	P75    float64 `json:"p75"`
	P90    float64 `json:"p90"`
	P99    float64 `json:"p99"`
	Worst  float64 `json:"worst"`
	StdDev float64 `json:"stddev"`
}

// Throughput is a rate: objects per second and MiB per second.
type Throughput struct {
	ObjPerSec   float64 `json:"obj_per_s"`
	MiBPerSec   float64 `json:"mib_per_s"`
	BytesPerSec float64 `json:"bytes_per_s"`
}

// PerSecond is the window split into whole seconds: the fastest, median
// and slowest second (by bytes, or by objects for metadata operations).
type PerSecond struct {
	Seconds int        `json:"seconds"`
	Fastest Throughput `json:"fastest"`
	Median  Throughput `json:"median"`
	Slowest Throughput `json:"slowest"`
}

// Sample is one second of the timeline; T is its start in seconds since
// the load began (warm-up included).
type Sample struct {
	T         float64 `json:"t_s"`
	ObjPerSec float64 `json:"obj_per_s"`
	MiBPerSec float64 `json:"mib_per_s"`
	Errors    int     `json:"errors"`
}

// Bin is one latency histogram bin [Lo, Hi) in milliseconds.
type Bin struct {
	Lo    float64 `json:"lo_ms"`
	Hi    float64 `json:"hi_ms"`
	Count int     `json:"count"`
}

// histogramBins is the number of log-spaced latency histogram bins.
const histogramBins = 40

// Summarize computes the statistics of the operations of type typ among
// ops over win. An operation is considered if it succeeded and started in
// [win.From, win.To); latency percentiles use the nearest rank. Bytes and
// objects are attributed to time in proportion to each operation's
// overlap with it, so a long transfer counts in every second it spans;
// the average throughput is what falls inside the window divided by its
// length.
func Summarize(typ string, ops []Op, concurrency int, win Window) OpStats {
	st := OpStats{Operation: typ, Concurrency: concurrency, Duration: (win.To - win.From).Seconds(),
		WarmupEnd: (win.From - win.Start).Seconds()}
	var lat, ttfb []time.Duration
	var good []*Op
	var bytes int64
	for i := range ops {
		op := &ops[i]
		if op.Type != typ {
			continue
		}
		st.Count++
		in := op.Start >= win.From && op.Start < win.To
		if op.Err != "" {
			if in {
				st.Errors++
			}
			if len(st.ErrorSamples) < 5 && !slices.Contains(st.ErrorSamples, op.Err) {
				st.ErrorSamples = append(st.ErrorSamples, op.Err)
			}
			continue
		}
		good = append(good, op)
		if !in {
			continue
		}
		st.Considered++
		bytes += op.Bytes
		lat = append(lat, op.End-op.Start)
		if typ == OpGet {
			ttfb = append(ttfb, op.TTFB)
		}
	}
	if st.Considered > 0 {
		st.AvgSize = bytes / int64(st.Considered)
	}
	d := summarizeDurations(lat)
	st.Latency = Latency{Avg: ms(d.avg), P50: ms(d.p50), P90: ms(d.p90), P99: ms(d.p99), Fastest: ms(d.min), Slowest: ms(d.max), StdDev: ms(d.stddev)}
	if typ == OpGet {
		t := summarizeDurations(ttfb)
		st.TTFB = &TTFB{Avg: ms(t.avg), Best: ms(t.min), P25: ms(t.p25), Median: ms(t.p50), P75: ms(t.p75),
			P90: ms(t.p90), P99: ms(t.p99), Worst: ms(t.max), StdDev: ms(t.stddev)}
	}
	st.Histogram = histogram(lat, histogramBins)

	// Throughput over the window, and per whole second of it.
	if win.To > win.From {
		b, o := spread(good, win.From, win.To-win.From, 1)
		st.Throughput = rate(b[0], o[0], win.To-win.From)
	}
	secs := int((win.To - win.From) / time.Second)
	if secs > 0 {
		b, o := spread(good, win.From, time.Second, secs)
		per := make([]Throughput, secs)
		for i := range per {
			per[i] = rate(b[i], o[i], time.Second)
		}
		slices.SortStableFunc(per, func(x, y Throughput) int {
			if x.BytesPerSec != y.BytesPerSec {
				return cmpFloat(x.BytesPerSec, y.BytesPerSec)
			}
			return cmpFloat(x.ObjPerSec, y.ObjPerSec)
		})
		st.PerSecond = PerSecond{Seconds: secs, Slowest: per[0], Median: per[secs/2], Fastest: per[secs-1]}
	}

	// Timeline from the start of the load (warm-up included).
	if n := int(math.Ceil((win.To - win.Start).Seconds())); n > 0 {
		b, o := spread(good, win.Start, time.Second, n)
		st.Timeline = make([]Sample, n)
		for i := range n {
			// The last sample may cover less than a second.
			width := min(time.Second, win.To-win.Start-time.Duration(i)*time.Second)
			t := rate(b[i], o[i], width)
			st.Timeline[i] = Sample{T: float64(i), ObjPerSec: t.ObjPerSec, MiBPerSec: t.MiBPerSec}
		}
		for i := range ops {
			if op := &ops[i]; op.Type == typ && op.Err != "" && op.End >= win.Start {
				if k := int((op.End - win.Start) / time.Second); k < n {
					st.Timeline[k].Errors++
				}
			}
		}
	}
	return st
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// spread attributes each op's bytes and objects to n buckets of width
// starting at origin, in proportion to the op's overlap with each. An op
// of zero length counts in the bucket it falls in.
func spread(ops []*Op, origin, width time.Duration, n int) (bytes, objs []float64) {
	bytes, objs = make([]float64, n), make([]float64, n)
	end := origin + time.Duration(n)*width
	for _, op := range ops {
		s, e := op.Start, op.End
		if e <= s {
			if s >= origin && s < end {
				k := int((s - origin) / width)
				bytes[k] += float64(op.Bytes)
				objs[k] += float64(op.Objects)
			}
			continue
		}
		total := float64(e - s)
		for k := max(0, int((s-origin)/width)); k < n; k++ {
			lo, hi := origin+time.Duration(k)*width, origin+time.Duration(k+1)*width
			if lo >= e {
				break
			}
			ov := min(hi, e) - max(lo, s)
			if ov <= 0 {
				continue
			}
			f := float64(ov) / total
			bytes[k] += f * float64(op.Bytes)
			objs[k] += f * float64(op.Objects)
		}
	}
	return bytes, objs
}

// rate is bytes and objects over d.
func rate(bytes, objs float64, d time.Duration) Throughput {
	s := d.Seconds()
	return Throughput{ObjPerSec: objs / s, BytesPerSec: bytes / s, MiBPerSec: bytes / s / (1 << 20)}
}

// durationStats summarizes a set of durations.
type durationStats struct {
	n                       int
	avg, stddev, min, max   time.Duration
	p25, p50, p75, p90, p99 time.Duration
}

// summarizeDurations sorts d (in place) and summarizes it; percentiles
// are nearest-rank: the smallest value with at least p % at or below it.
func summarizeDurations(d []time.Duration) durationStats {
	if len(d) == 0 {
		return durationStats{}
	}
	slices.Sort(d)
	var sum float64
	for _, x := range d {
		sum += float64(x)
	}
	mean := sum / float64(len(d))
	var sq float64
	for _, x := range d {
		sq += (float64(x) - mean) * (float64(x) - mean)
	}
	return durationStats{
		n: len(d), avg: time.Duration(mean), stddev: time.Duration(math.Sqrt(sq / float64(len(d)))),
		min: d[0], max: d[len(d)-1],
		p25: Percentile(d, 25), p50: Percentile(d, 50), p75: Percentile(d, 75), p90: Percentile(d, 90), p99: Percentile(d, 99),
	}
}

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted: the smallest value with at least p % of the values at or below
// it. It returns 0 for an empty slice.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}

// histogram bins sorted latencies into n log-spaced bins from the
// fastest to the slowest.
func histogram(sorted []time.Duration, n int) []Bin {
	if len(sorted) == 0 {
		return nil
	}
	lo, hi := ms(sorted[0]), ms(sorted[len(sorted)-1])
	lo = max(lo, 0.001)
	if hi <= lo*1.0001 {
		return []Bin{{Lo: lo, Hi: hi, Count: len(sorted)}}
	}
	ratio := math.Pow(hi/lo, 1/float64(n))
	bins := make([]Bin, n)
	edge := lo
	for i := range bins {
		bins[i] = Bin{Lo: edge, Hi: edge * ratio}
		edge *= ratio
	}
	bins[n-1].Hi = hi
	for _, d := range sorted {
		v := max(ms(d), lo)
		k := int(math.Log(v/lo) / math.Log(ratio))
		bins[min(max(k, 0), n-1)].Count++
	}
	return bins
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// fmtDur formats d as warp does: whole milliseconds from 100 ms, 0.1 ms
// below, microseconds below 1 ms.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < 100*time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	case d < 10*time.Second:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

// fmtMs formats milliseconds with fmtDur.
func fmtMs(v float64) string { return fmtDur(time.Duration(v * float64(time.Millisecond))) }

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	r.Version = ReportVersion
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the summary in warp's vocabulary.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	where := r.Endpoint
	if r.Embedded {
		where += " (embedded server, same process)"
	}
	if r.Client != "" {
		where += ", client " + r.Client
	}
	fmt.Fprintf(&b, "wormstore bench %s: %s, bucket %s, prefix %s\n", r.Workload, where, r.Bucket, r.Prefix)
	fmt.Fprintf(&b, "Client machine: %d CPUs (GOMAXPROCS %d), %s/%s, %s. Warm-up %s excluded.\n",
		r.Machine.CPUs, r.Machine.GOMAXPROCS, r.Machine.GOOS, r.Machine.GOARCH, r.Machine.GoVersion, fmtDur(time.Duration(r.Warmup*float64(time.Second))))
	if r.ClientCPUPerOp > 0 {
		who := "client"
		if r.Embedded {
			who = "client and embedded server"
		}
		fmt.Fprintf(&b, "Process CPU (%s): %.0f µs per request.\n", who, r.ClientCPUPerOp)
	}
	if r.Interrupted {
		b.WriteString("Interrupted: the figures cover the part that ran.\n")
	}
	for _, s := range r.Operations {
		b.WriteString("\n")
		s.writeText(&b)
	}
	if len(r.Operations) == 0 {
		b.WriteString("\nNo operations ran.\n")
	}
	b.WriteString("\n")
	if n := len(r.Locked); n > 0 {
		fmt.Fprintf(&b, "Left behind under a lock: %d version(s) in bucket %s, prefix %s; retained until %s at the latest.\n",
			n, r.Bucket, r.Prefix, lockedUntil(r.Locked).Format(time.RFC3339))
		for i, l := range r.Locked {
			if i == 10 {
				fmt.Fprintf(&b, " * … and %d more (see --json)\n", n-10)
				break
			}
			what := l.Mode
			if !l.RetainUntil.IsZero() {
				what += " until " + l.RetainUntil.Format(time.RFC3339)
			}
			if l.LegalHold {
				what += " legal hold ON"
			}
			fmt.Fprintf(&b, " * %s version %s: %s\n", l.Key, l.VersionID, strings.TrimSpace(what))
		}
	}
	c := r.Cleanup
	fmt.Fprintf(&b, "Clean-up: deleted %d version(s)", c.DeletedVersions)
	if c.AbortedUploads > 0 {
		fmt.Fprintf(&b, ", aborted %d upload(s)", c.AbortedUploads)
	}
	if c.BucketDeleted {
		fmt.Fprintf(&b, ", deleted bucket %s", r.Bucket)
	}
	b.WriteString(".\n")
	for _, e := range c.Errors {
		fmt.Fprintf(&b, " * clean-up error: %s\n", e)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeText writes one operation's block, as warp prints it.
func (s *OpStats) writeText(b *strings.Builder) {
	size := fmt.Sprintf("%d bytes", s.AvgSize)
	if s.AvgSize >= 1<<10 {
		size = fmt.Sprintf("%s (%d bytes)", Size(s.AvgSize), s.AvgSize)
	}
	if s.AvgSize == 0 {
		size = "-"
	}
	fmt.Fprintf(b, "Operation: %s (%d). Ran %s. Size: %s. Concurrency: %d.\n",
		s.Operation, s.Count, fmtDur(time.Duration(s.Duration*float64(time.Second))), size, s.Concurrency)
	fmt.Fprintf(b, "Requests considered: %d. Errors: %d.\n", s.Considered, s.Errors)
	for _, e := range s.ErrorSamples {
		fmt.Fprintf(b, " ! %s\n", e)
	}
	if s.Considered == 0 {
		return
	}
	l := s.Latency
	fmt.Fprintf(b, " * Avg: %s, 50%%: %s, 90%%: %s, 99%%: %s, Fastest: %s, Slowest: %s, StdDev: %s\n",
		fmtMs(l.Avg), fmtMs(l.P50), fmtMs(l.P90), fmtMs(l.P99), fmtMs(l.Fastest), fmtMs(l.Slowest), fmtMs(l.StdDev))
	if t := s.TTFB; t != nil {
		fmt.Fprintf(b, " * TTFB: Avg: %s, Best: %s, 25th: %s, Median: %s, 75th: %s, 90th: %s, 99th: %s, Worst: %s StdDev: %s\n",
			fmtMs(t.Avg), fmtMs(t.Best), fmtMs(t.P25), fmtMs(t.Median), fmtMs(t.P75), fmtMs(t.P90), fmtMs(t.P99), fmtMs(t.Worst), fmtMs(t.StdDev))
	}
	b.WriteString("Throughput:\n")
	fmt.Fprintf(b, " * Average: %s\n", fmtRate(s.Throughput))
	if p := s.PerSecond; p.Seconds > 0 {
		fmt.Fprintf(b, "Throughput, split into %d x 1s:\n", p.Seconds)
		fmt.Fprintf(b, " * Fastest: %s\n", fmtRate(p.Fastest))
		fmt.Fprintf(b, " * 50%% Median: %s\n", fmtRate(p.Median))
		fmt.Fprintf(b, " * Slowest: %s\n", fmtRate(p.Slowest))
	}
}

// fmtRate formats a throughput as warp: "2.68 MiB/s, 701.62 obj/s", or
// only obj/s for operations that move no data.
func fmtRate(t Throughput) string {
	if t.BytesPerSec == 0 {
		return fmt.Sprintf("%.2f obj/s", t.ObjPerSec)
	}
	return fmt.Sprintf("%.2f MiB/s, %.2f obj/s", t.MiBPerSec, t.ObjPerSec)
}
