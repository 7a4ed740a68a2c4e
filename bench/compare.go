package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Endpoint is a running S3 server that a Compare run benchmarks.
type Endpoint struct {
	// URL is the base URL (http://host:port).
	URL string
	// AccessKey and SecretKey sign the requests.
	AccessKey, SecretKey string
	// PprofURL, if set, is the server's net/http/pprof base URL
	// (http://host:port/debug/pprof); Compare then fetches CPU, block
	// and mutex profiles of the measured window.
	PprofURL string
	// Stop, if set, stops the server and removes its data (auto-started
	// targets).
	Stop func() error
}

// Target is one server a Compare run benchmarks: Start returns an
// endpoint for one run. Auto-started targets start a fresh server on a
// fresh directory per run (ProcessTarget); an external endpoint is
// returned as is (StaticTarget), so runs against it share its state.
type Target struct {
	Name  string
	Start func(ctx context.Context) (Endpoint, error)
}

// StaticTarget is an already running server.
func StaticTarget(name string, ep Endpoint) Target {
	return Target{Name: name, Start: func(context.Context) (Endpoint, error) { return ep, nil }}
}

// ProcessSpec describes a server started as a child process.
type ProcessSpec struct {
	// Path is the executable.
	Path string
	// Args returns the command line (without the executable) for a server
	// with its data under dir, listening on addr (host:port), with root
	// credentials accessKey/secretKey, and, if pprofAddr is not empty,
	// net/http/pprof on it. It may create what the server needs under
	// dir.
	Args func(dir, addr, pprofAddr, accessKey, secretKey string) ([]string, error)
	// Pprof tells whether the server can serve pprof (Args honours
	// pprofAddr).
	Pprof bool
	// Env is added to the child's environment.
	Env []string
}

// ProcessTarget starts spec as a child process per run on a fresh
// temporary directory (removed when the run's endpoint stops), a free
// loopback port and random credentials, and waits until it answers HTTP.
// The child's output goes to DIR/server.log, shown in the error if it
// fails to start. withPprof asks for a pprof listener too.
func ProcessTarget(name string, spec ProcessSpec, withPprof bool) Target {
	return Target{Name: name, Start: func(ctx context.Context) (Endpoint, error) {
		return startProcess(ctx, spec, withPprof && spec.Pprof)
	}}
}

func startProcess(ctx context.Context, spec ProcessSpec, withPprof bool) (_ Endpoint, err error) {
	dir, err := os.MkdirTemp("", "wormstore-compare-")
	if err != nil {
		return Endpoint{}, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	addr, err := freeAddr()
	if err != nil {
		return Endpoint{}, err
	}
	var paddr string
	if withPprof {
		if paddr, err = freeAddr(); err != nil {
			return Endpoint{}, err
		}
	}
	ep := Endpoint{URL: "http://" + addr, AccessKey: "CMP" + strings.ToUpper(randomName(17)), SecretKey: randomName(40)}
	if paddr != "" {
		ep.PprofURL = "http://" + paddr + "/debug/pprof"
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return Endpoint{}, err
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		logf.Close()
		return Endpoint{}, err
	}
	args, err := spec.Args(data, addr, paddr, ep.AccessKey, ep.SecretKey)
	if err != nil {
		logf.Close()
		return Endpoint{}, err
	}
	cmd := exec.Command(spec.Path, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), spec.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return Endpoint{}, fmt.Errorf("bench: start %s: %w", spec.Path, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logf.Close() }()
	var once sync.Once
	var stopErr error
	ep.Stop = func() error {
		once.Do(func() {
			select {
			case err := <-exited:
				stopErr = fmt.Errorf("bench: %s exited during the run: %v", spec.Path, err)
			default:
				_ = cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-exited:
				case <-time.After(30 * time.Second):
					_ = cmd.Process.Kill()
					<-exited
					stopErr = fmt.Errorf("bench: %s did not stop within 30s of SIGTERM; killed", spec.Path)
				}
			}
			stopErr = errors.Join(stopErr, os.RemoveAll(dir))
		})
		return stopErr
	}
	if err := waitHTTP(ctx, ep.URL, exited, 60*time.Second); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		_ = ep.Stop()
		return Endpoint{}, fmt.Errorf("bench: %s %s: %w\n%s", spec.Path, strings.Join(cmd.Args[1:], " "), err, tail(log, 2000))
	}
	return ep, nil
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitHTTP waits until base answers any HTTP response.
func waitHTTP(ctx context.Context, base string, exited <-chan error, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("exited before answering: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no HTTP answer within %v: %w", timeout, err)
		}
	}
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// CompareConfig configures Compare.
type CompareConfig struct {
	// Targets are benchmarked in this order in the first round, rotated
	// by one each round; ratios are the first target's figure divided by
	// each other's.
	Targets []Target
	// Workloads run in this order each round. Default put, get,
	// retention, versioned.
	Workloads []Workload
	// Rounds is how many times each (workload, target) pair runs;
	// Compare reports the median. Default 1.
	Rounds int
	// Base is the configuration of every run; its endpoint and
	// credentials are replaced by each target's.
	Base Config
	// ProfileDir, if set, receives CPU, block and mutex profiles of each
	// run's measured window from targets with a PprofURL, named
	// <target>-<workload>-r<round>.{cpu,block,mutex}.pprof.
	ProfileDir string
	// Progress, if set, receives a line per run.
	Progress io.Writer
}

// CompareWorkloads is the default workload list of Compare.
func CompareWorkloads() []Workload {
	return []Workload{WorkloadPut, WorkloadGet, WorkloadRetention, WorkloadVersioned}
}

// CompareRun is one (round, workload, target) run.
type CompareRun struct {
	Round    int      `json:"round"`
	Workload Workload `json:"workload"`
	Target   string   `json:"target"`
	// ObjPerSec is the workload's headline rate (see HeadlineOps).
	ObjPerSec float64 `json:"obj_per_s"`
	// Considered and Errors count the headline operations of the window.
	Considered int    `json:"considered"`
	Errors     int    `json:"errors"`
	Err        string `json:"error,omitempty"`
	// Report is the run's full report (nil if it could not start).
	Report *Report `json:"report,omitempty"`
}

// CompareReport is the result of Compare.
type CompareReport struct {
	Targets   []string     `json:"targets"`
	Workloads []Workload   `json:"workloads"`
	Rounds    int          `json:"rounds"`
	Machine   Machine      `json:"machine"`
	Started   time.Time    `json:"started"`
	Config    string       `json:"config"`
	Client    string       `json:"client"` // the load client: aws or minio
	Runs      []CompareRun `json:"runs"`
}

// HeadlineOps are the operation types whose rate is a workload's
// headline figure, as warp reports it: the workload's own operation
// (RETENTION for retention, not the puts that prepare it), or every
// operation for mixed and versioned.
func HeadlineOps(w Workload) []string {
	switch w {
	case WorkloadPut:
		return []string{OpPut}
	case WorkloadGet:
		return []string{OpGet}
	case WorkloadStat:
		return []string{OpStat}
	case WorkloadList:
		return []string{OpList}
	case WorkloadDelete:
		return []string{OpDelete}
	case WorkloadMultipart:
		return []string{OpPutPart}
	case WorkloadRetention:
		return []string{OpRetention}
	case WorkloadLegalHold:
		return []string{OpLegalHold}
	}
	return []string{OpGet, OpStat, OpPut, OpDelete}
}

// headline sums the rates of w's headline operations in rep's measured
// window (the prepare phase's operations are skipped: they come first and
// have the same type).
func headline(w Workload, rep *Report) (objPerSec float64, considered, errs int) {
	ops := HeadlineOps(w)
	seen := map[string]bool{}
	// analyze lists the prepare phase first; the main phase's entry of a
	// type is the last one.
	for i := len(rep.Operations) - 1; i >= 0; i-- {
		s := rep.Operations[i]
		if seen[s.Operation] || !slices.Contains(ops, s.Operation) {
			continue
		}
		seen[s.Operation] = true
		objPerSec += s.Throughput.ObjPerSec
		considered += s.Considered
		errs += s.Errors
	}
	return objPerSec, considered, errs
}

// Compare runs every workload against every target, Rounds times,
// interleaved: for each round, for each workload, each target in turn
// (the order rotating by round), each run on a fresh endpoint from
// Target.Start. A run that fails is recorded with its error and the
// comparison goes on.
func Compare(ctx context.Context, cfg CompareConfig) (*CompareReport, error) {
	if len(cfg.Targets) == 0 {
		return nil, errors.New("bench: compare needs at least one target")
	}
	names := map[string]bool{}
	for _, t := range cfg.Targets {
		if t.Name == "" || names[t.Name] {
			return nil, fmt.Errorf("bench: compare: target names must be unique and not empty (%q)", t.Name)
		}
		names[t.Name] = true
	}
	if len(cfg.Workloads) == 0 {
		cfg.Workloads = CompareWorkloads()
	}
	for _, w := range cfg.Workloads {
		if WorkloadHelp(w) == "" {
			return nil, fmt.Errorf("bench: unknown workload %q", w)
		}
	}
	if cfg.Rounds <= 0 {
		cfg.Rounds = 1
	}
	base := cfg.Base
	base.EnsureDefaults()
	if base.Client != ClientAWS && base.Client != ClientMinio {
		return nil, fmt.Errorf("bench: unknown client %q (want aws or minio)", base.Client)
	}
	rep := &CompareReport{Workloads: cfg.Workloads, Rounds: cfg.Rounds, Machine: thisMachine(), Started: time.Now().UTC(), Client: base.Client,
		Config: fmt.Sprintf("concurrency %d, object size %s, duration %v, warm-up %v", base.Concurrent, Size(base.ObjSize), base.Duration, base.Warmup)}
	for _, t := range cfg.Targets {
		rep.Targets = append(rep.Targets, t.Name)
	}
	if cfg.ProfileDir != "" {
		if err := os.MkdirAll(cfg.ProfileDir, 0o755); err != nil {
			return nil, err
		}
	}
	for round := 1; round <= cfg.Rounds && ctx.Err() == nil; round++ {
		for _, w := range cfg.Workloads {
			for i := range cfg.Targets {
				if ctx.Err() != nil {
					break
				}
				t := cfg.Targets[(i+round-1)%len(cfg.Targets)]
				run := compareOne(ctx, cfg, base, t, w, round)
				if cfg.Progress != nil {
					line := fmt.Sprintf("round %d  %-10s %-12s %10.1f obj/s  (%d ops, %d errors)", round, w, t.Name, run.ObjPerSec, run.Considered, run.Errors)
					if run.Report != nil && run.Report.ClientCPUPerOp > 0 {
						line += fmt.Sprintf("  client %.0f µs CPU/req", run.Report.ClientCPUPerOp)
					}
					if run.Err != "" {
						line += "  error: " + run.Err
					}
					fmt.Fprintln(cfg.Progress, line)
				}
				rep.Runs = append(rep.Runs, run)
			}
		}
	}
	return rep, ctx.Err()
}

// compareOne runs workload w once against a fresh endpoint of t.
func compareOne(ctx context.Context, cfg CompareConfig, base Config, t Target, w Workload, round int) CompareRun {
	run := CompareRun{Round: round, Workload: w, Target: t.Name}
	ep, err := t.Start(ctx)
	if err != nil {
		run.Err = err.Error()
		return run
	}
	c := base
	c.Endpoint, c.AccessKey, c.SecretKey, c.Status = ep.URL, ep.AccessKey, ep.SecretKey, nil
	var profiles sync.WaitGroup
	var profErr error
	var profMu sync.Mutex
	if cfg.ProfileDir != "" && ep.PprofURL != "" {
		stem := filepath.Join(cfg.ProfileDir, fmt.Sprintf("%s-%s-r%d", safeName(t.Name), w, round))
		c.OnMeasure = func(window time.Duration) {
			secs := max(1, int(window.Round(time.Second)/time.Second))
			for _, p := range []struct{ path, ext string }{{"profile", "cpu"}, {"block", "block"}, {"mutex", "mutex"}} {
				profiles.Go(func() {
					err := fetchProfile(ctx, fmt.Sprintf("%s/%s?seconds=%d", ep.PprofURL, p.path, secs), stem+"."+p.ext+".pprof")
					profMu.Lock()
					profErr = errors.Join(profErr, err)
					profMu.Unlock()
				})
			}
		}
	}
	r, err := Run(ctx, w, c)
	profiles.Wait()
	if ep.Stop != nil {
		err = errors.Join(err, ep.Stop())
	}
	err = errors.Join(err, profErr)
	if err != nil {
		run.Err = strings.Join(strings.Fields(err.Error()), " ")
	}
	if r != nil {
		run.Report = r
		run.ObjPerSec, run.Considered, run.Errors = headline(w, r)
	}
	return run
}

func fetchProfile(ctx context.Context, u, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("bench: profile %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("bench: profile %s: %s: %s", u, resp.Status, b)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == os.PathSeparator || r == ' ' {
			return '_'
		}
		return r
	}, s)
}

// Cell is one (workload, target) figure of a CompareReport: the median
// of the rounds that ran (a run that could not start or finish, or
// completed no headline operation, is Failed), their count, and the failed
// operations in the counted runs.
type Cell struct {
	ObjPerSec float64
	Runs      int
	Failed    int
	OpErrors  int
}

// Cell returns the figure of workload w on target.
func (r *CompareReport) Cell(w Workload, target string) Cell {
	var rates []float64
	var c Cell
	for _, run := range r.Runs {
		if run.Workload != w || run.Target != target {
			continue
		}
		if run.Err != "" || run.Considered == 0 {
			c.Failed++
			continue
		}
		c.OpErrors += run.Errors
		rates = append(rates, run.ObjPerSec)
	}
	c.Runs = len(rates)
	if len(rates) > 0 {
		slices.Sort(rates)
		m := len(rates) / 2
		c.ObjPerSec = rates[m]
		if len(rates)%2 == 0 {
			c.ObjPerSec = (rates[m-1] + rates[m]) / 2
		}
	}
	return c
}

// WriteText writes the table: one row per workload, the median obj/s of
// each target, and the first target's ratio to each other target.
func (r *CompareReport) WriteText(w io.Writer) error {
	var b strings.Builder
	client := ""
	if r.Client != "" {
		client = ", client " + r.Client
	}
	fmt.Fprintf(&b, "wormstore bench compare: %d round(s), interleaved; %s%s.\n", r.Rounds, r.Config, client)
	fmt.Fprintf(&b, "Machine: %d CPUs (GOMAXPROCS %d), %s/%s; client and servers share it. Median of the rounds, obj/s.\n\n",
		r.Machine.CPUs, r.Machine.GOMAXPROCS, r.Machine.GOOS, r.Machine.GOARCH)
	head := []string{"workload"}
	head = append(head, r.Targets...)
	for _, t := range r.Targets[1:] {
		head = append(head, r.Targets[0]+"/"+t)
	}
	rows := [][]string{head}
	for _, wl := range r.Workloads {
		row := []string{string(wl)}
		cells := make([]Cell, len(r.Targets))
		for i, t := range r.Targets {
			cells[i] = r.Cell(wl, t)
			s := "failed"
			if cells[i].Runs > 0 {
				s = fmt.Sprintf("%.0f", cells[i].ObjPerSec)
				if cells[i].Failed > 0 {
					s += fmt.Sprintf(" (%d runs failed)", cells[i].Failed)
				}
				if cells[i].OpErrors > 0 {
					s += fmt.Sprintf(" (%d op errors)", cells[i].OpErrors)
				}
			}
			row = append(row, s)
		}
		for _, c := range cells[1:] {
			s := "-"
			if cells[0].Runs > 0 && c.Runs > 0 && c.ObjPerSec > 0 {
				s = fmt.Sprintf("%.2fx", cells[0].ObjPerSec/c.ObjPerSec)
			}
			row = append(row, s)
		}
		rows = append(rows, row)
	}
	widths := make([]int, len(head))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], len(c))
		}
	}
	for n, row := range rows {
		for i, c := range row {
			if i == 0 {
				fmt.Fprintf(&b, "%-*s", widths[i], c)
			} else {
				fmt.Fprintf(&b, "  %*s", widths[i], c)
			}
		}
		b.WriteString("\n")
		if n == 0 {
			for i, wd := range widths {
				if i > 0 {
					b.WriteString("  ")
				}
				b.WriteString(strings.Repeat("-", wd))
			}
			b.WriteString("\n")
		}
	}
	var errs []string
	for _, run := range r.Runs {
		if run.Err != "" {
			errs = append(errs, fmt.Sprintf(" * round %d %s %s: %s", run.Round, run.Workload, run.Target, run.Err))
		} else if run.Errors > 0 {
			first := ""
			if run.Report != nil {
				for _, s := range run.Report.Operations {
					if len(s.ErrorSamples) > 0 {
						first = ", first: " + s.ErrorSamples[0]
						break
					}
				}
			}
			errs = append(errs, fmt.Sprintf(" * round %d %s %s: %d failed operations (counted)%s", run.Round, run.Workload, run.Target, run.Errors, first))
		}
	}
	if len(errs) > 0 {
		b.WriteString("\nErrors:\n" + strings.Join(errs, "\n") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ParseEndpointURL splits "http://AK:SK@host:port" into an Endpoint.
func ParseEndpointURL(s string) (Endpoint, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return Endpoint{}, fmt.Errorf("bench: endpoint %q: want http(s)://ACCESS:SECRET@host:port", s)
	}
	ep := Endpoint{URL: u.Scheme + "://" + u.Host}
	if u.User != nil {
		ep.AccessKey = u.User.Username()
		ep.SecretKey, _ = u.User.Password()
	}
	if ep.AccessKey == "" || ep.SecretKey == "" {
		return Endpoint{}, fmt.Errorf("bench: endpoint %q: credentials missing: want http(s)://ACCESS:SECRET@host:port", u.Redacted())
	}
	return ep, nil
}
