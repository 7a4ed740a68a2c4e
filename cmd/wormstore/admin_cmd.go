package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/wormstore/wormstore/adminapi"
)

// adminCmd is `wormstore admin`, the client of the admin API (package adminapi).
// Its flags are accepted before or after the subcommand.
type adminCmd struct {
	AdminEndpoint string `help:"URL of the server's admin listener (its --admin-address; the server's WORMSTORE_ADMIN_ADDRESS is used when set)." default:"http://127.0.0.1:9001" placeholder:"URL" env:"WORMSTORE_ADMIN_ENDPOINT,WORMSTORE_ADMIN_ADDRESS"`
	AccessKey     string `help:"Root access key, as given to the server." env:"WORMSTORE_ROOT_USER"`
	SecretKey     string `help:"Root secret key, as given to the server." env:"WORMSTORE_ROOT_PASSWORD"`
	AccessKeyFile string `help:"File holding the root access key." env:"WORMSTORE_ROOT_USER_FILE" type:"path"`
	SecretKeyFile string `help:"File holding the root secret key." env:"WORMSTORE_ROOT_PASSWORD_FILE" type:"path"`
	Data          string `help:"Data directory of a --dev server: its dev-credentials.json is used when no keys are given." type:"path" placeholder:"DIR"`
	Region        string `help:"Region the server answers for (its --region)." default:"us-east-1"`
	JSON          bool   `name:"json" help:"Print machine-readable JSON instead of tables." env:"WORMSTORE_ADMIN_JSON"`

	Bucket   adminBucketCmd   `cmd:"" help:"Show buckets."`
	Stats    adminStatsCmd    `cmd:"" help:"Show store statistics: objects, segments, live, garbage and locked bytes."`
	Segments adminSegmentsCmd `cmd:"" help:"List the segment files."`
	Compact  adminCompactCmd  `cmd:"" help:"Compact now: seal the active segment and rewrite segments holding garbage."`
	Verify   adminVerifyCmd   `cmd:"" help:"Check every block, extent and index entry (fsck); exit status 1 if problems are found."`
	Audit    adminAuditCmd    `cmd:"" help:"Read and verify the tamper-evident audit stream."`
	User     adminUserCmd     `cmd:"" help:"Manage users and their access keys."`
	Policy   adminPolicyCmd   `cmd:"" help:"Manage users' identity policies."`
	Clock    adminClockCmd    `cmd:"" help:"Show the server clock, the time high-water mark retention is judged at, and how far the clock is behind it."`

	// Checkpoints and the WAL archive (admin_cmd_checkpoint.go).
	Checkpoint adminCheckpointCmd `cmd:"" help:"Take a verified index checkpoint now and retire covered WAL files to wal/archive."`
	WALArchive adminWALArchiveCmd `cmd:"" name:"wal-archive" help:"List or delete WAL files retired to wal/archive."`

	// Lifecycle (admin_cmd_lifecycle.go).
	Lifecycle adminLifecycleCmd `cmd:"" help:"Run bucket lifecycle rules now."`
	// Veeam SOSAPI per bucket (admin_cmd_sosapi.go).
	SOSAPI adminSOSAPICmd `cmd:"" name:"sosapi" help:"Enable, disable or show the Veeam Smart Object Storage API files of a bucket."`
	// The remote tier (tier.go).
	Tier adminTierCmd `cmd:"" help:"Configure, test, show and move segments to the remote Object-Lock tier."`
}

type adminBucketCmd struct {
	List adminBucketListCmd `cmd:"" help:"List buckets."`
	Info adminBucketInfoCmd `cmd:"" help:"Show one bucket's configuration."`
}

type adminBucketListCmd struct{}

type adminBucketInfoCmd struct {
	Name string `arg:"" help:"Bucket name."`
}

type adminStatsCmd struct{}

type adminSegmentsCmd struct{}

type adminCompactCmd struct {
	Rate       byteCount `help:"Cap the copy rate in bytes per second (e.g. 50MiB); 0 = unlimited." default:"0" placeholder:"SIZE" env:"WORMSTORE_COMPACT_RATE"`
	MinGarbage float64   `help:"Rewrite only segments with at least this fraction (0..1) of garbage; 0 = any garbage." default:"0" env:"WORMSTORE_COMPACT_MIN_GARBAGE"`
}

type adminVerifyCmd struct {
	Remote bool `help:"Also read back every segment held by the remote tier and check its remote lock (ranged GETs of everything tiered)."`
}

// adminClient signs and sends admin API requests.
type adminClient struct {
	base   *url.URL
	creds  aws.Credentials
	region string
	hc     *http.Client
	signer *v4.Signer
}

// adminEmptySHA256 is the hex SHA-256 of an empty body; admin requests have none.
const adminEmptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// client resolves the endpoint and credentials.
func (a *adminCmd) client() (*adminClient, error) {
	ep := strings.TrimSpace(a.AdminEndpoint)
	if !strings.Contains(ep, "://") {
		ep = "http://" + ep
	}
	base, err := url.Parse(ep)
	if err != nil || base.Host == "" || (base.Scheme != "http" && base.Scheme != "https") {
		return nil, fmt.Errorf("--admin-endpoint %q is not an http(s) URL such as http://127.0.0.1:9001", a.AdminEndpoint)
	}
	if host, port, err := net.SplitHostPort(base.Host); err == nil {
		// A listen address such as ":9001" or "0.0.0.0:9001".
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			base.Host = net.JoinHostPort("127.0.0.1", port)
		}
	}
	base.Path = strings.TrimSuffix(base.Path, "/") + adminapi.Prefix
	ak, sk := a.AccessKey, a.SecretKey
	if a.AccessKeyFile != "" {
		if ak, err = readSecretFile(a.AccessKeyFile); err != nil {
			return nil, err
		}
	}
	if a.SecretKeyFile != "" {
		if sk, err = readSecretFile(a.SecretKeyFile); err != nil {
			return nil, err
		}
	}
	if (ak == "" || sk == "") && a.Data != "" {
		path := filepath.Join(a.Data, "dev-credentials.json")
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read credentials: %w (pass --access-key and --secret-key, or the --data directory of a --dev server)", err)
		}
		var dc struct{ AccessKey, SecretKey string }
		if err := json.Unmarshal(b, &dc); err != nil || dc.AccessKey == "" || dc.SecretKey == "" {
			return nil, fmt.Errorf("%s holds no credentials", path)
		}
		ak, sk = dc.AccessKey, dc.SecretKey
	}
	if ak == "" || sk == "" {
		return nil, fmt.Errorf("no credentials: set WORMSTORE_ROOT_USER and WORMSTORE_ROOT_PASSWORD (or their _FILE variants, or --access-key and --secret-key) as for the server, or pass --data DIR of a --dev server")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	return &adminClient{
		base:   base,
		creds:  aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk, Source: "wormstore admin"},
		region: a.Region,
		hc:     &http.Client{Transport: tr},
		signer: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }),
	}, nil
}

// endpoint is the admin endpoint as the user gave it, for messages.
func (c *adminClient) endpoint() string {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, adminapi.Prefix)
	return u.String()
}

// do sends a signed request for the endpoint path (relative to /admin/v1/)
// and returns the response if its status is 200; any other answer becomes
// an error carrying the server's message.
func (c *adminClient) do(ctx context.Context, method, path string, query url.Values) (*http.Response, error) {
	return c.doBody(ctx, method, path, query, nil)
}

// doBody is do with a request body, whose SHA-256 is signed.
func (c *adminClient) doBody(ctx context.Context, method, path string, query url.Values, body []byte) (*http.Response, error) {
	u := c.base.JoinPath(path)
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	if err := c.signer.SignHTTP(ctx, c.creds, req, payloadHash, adminapi.Service, c.region, time.Now()); err != nil {
		return nil, fmt.Errorf("sign request: %w", err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("cannot reach the admin API at %s: connection refused (is the server running? set --admin-endpoint or WORMSTORE_ADMIN_ENDPOINT to its --admin-address)", c.endpoint())
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("cannot reach the admin API at %s: %w (is the server running? set --admin-endpoint or WORMSTORE_ADMIN_ENDPOINT to its --admin-address)", c.endpoint(), err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var ae adminapi.ErrorBody
	if json.Unmarshal(b, &ae) != nil || ae.Code == "" {
		return nil, fmt.Errorf("admin API at %s answered %s to %s %s; is it a wormstore admin listener? (set --admin-endpoint)", c.endpoint(), resp.Status, method, u.Path)
	}
	switch {
	case resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("the admin API refused the request: %s (%s); use the server's root credentials (WORMSTORE_ROOT_USER/WORMSTORE_ROOT_PASSWORD, --access-key/--secret-key or --data) and its --region", ae.Message, ae.Code)
	case ae.Code == "NotFound":
		return nil, fmt.Errorf("%s (%s); is the server older than this client?", ae.Message, ae.Code)
	}
	return nil, fmt.Errorf("%s (%s)", ae.Message, ae.Code)
}

// callJSON sends a request for path and decodes the JSON answer into out.
func (c *adminClient) callJSON(ctx context.Context, method, path string, query url.Values, out any) error {
	resp, err := c.do(ctx, method, path, query)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("admin API: decode %s answer: %w", path, err)
	}
	return nil
}

// adminPrintJSON writes v indented, for --json.
func adminPrintJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (cmd *adminBucketListCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var out struct {
		Buckets []adminapi.Bucket `json:"buckets"`
	}
	if err := c.callJSON(env.ctx, http.MethodGet, "buckets", nil, &out); err != nil {
		return err
	}
	if a.JSON {
		return adminPrintJSON(env.stdout, out)
	}
	if len(out.Buckets) == 0 {
		fmt.Fprintln(env.stdout, "No buckets.")
		return nil
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCREATED\tVERSIONING\tOBJECT LOCK\tDEFAULT RETENTION")
	for _, b := range out.Buckets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", b.Name, b.Created.UTC().Format(time.RFC3339), b.Versioning, onOff(b.ObjectLock), retentionText(b.DefaultRetention))
	}
	return tw.Flush()
}

func (cmd *adminBucketInfoCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var b adminapi.Bucket
	if err := c.callJSON(env.ctx, http.MethodGet, "buckets/"+url.PathEscape(cmd.Name), nil, &b); err != nil {
		return err
	}
	if a.JSON {
		return adminPrintJSON(env.stdout, b)
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Name:\t%s\n", b.Name)
	fmt.Fprintf(tw, "Created:\t%s\n", b.Created.UTC().Format(time.RFC3339))
	fmt.Fprintf(tw, "Versioning:\t%s\n", b.Versioning)
	fmt.Fprintf(tw, "Object Lock:\t%s\n", onOff(b.ObjectLock))
	fmt.Fprintf(tw, "Default retention:\t%s\n", retentionText(b.DefaultRetention))
	return tw.Flush()
}

func onOff(b bool) string {
	if b {
		return "enabled"
	}
	return "disabled"
}

func retentionText(r *adminapi.Retention) string {
	switch {
	case r == nil:
		return "-"
	case r.Years == 1:
		return r.Mode + " 1 year"
	case r.Years > 0:
		return fmt.Sprintf("%s %d years", r.Mode, r.Years)
	case r.Days == 1:
		return r.Mode + " 1 day"
	}
	return fmt.Sprintf("%s %d days", r.Mode, r.Days)
}

func (cmd *adminStatsCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var s adminapi.Stats
	if err := c.callJSON(env.ctx, http.MethodGet, "stats", nil, &s); err != nil {
		return err
	}
	if a.JSON {
		return adminPrintJSON(env.stdout, s)
	}
	share := func(n int64, what string) string {
		if s.SegmentBytes == 0 {
			return iecBytes(n) + " (" + what + ")"
		}
		return fmt.Sprintf("%s (%.1f%%; %s)", iecBytes(n), 100*float64(n)/float64(s.SegmentBytes), what)
	}
	compaction := "idle"
	if s.CompactionRunning {
		compaction = "running"
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Buckets\t%d\n", s.Buckets)
	fmt.Fprintf(tw, "Versions\t%d (%d locked, %d delete markers)\n", s.Versions, s.LockedVersions, s.DeleteMarkers)
	fmt.Fprintf(tw, "Multipart uploads\t%d (%d parts)\n", s.Uploads, s.Parts)
	fmt.Fprintf(tw, "Segments\t%d (%d sealed)\n", s.Segments, s.SealedSegments)
	fmt.Fprintf(tw, "Stored\t%s\n", iecBytes(s.SegmentBytes))
	fmt.Fprintf(tw, "  live\t%s\n", share(s.LiveBytes, "referenced by versions and parts"))
	fmt.Fprintf(tw, "  garbage\t%s\n", share(s.GarbageBytes, "reclaimable by compaction"))
	fmt.Fprintf(tw, "  locked\t%s\n", share(s.LockedBytes, "under retention or legal hold"))
	fmt.Fprintf(tw, "Compaction\t%s (since start: %s copied, %s removed)\n", compaction, iecBytes(s.CompactedBytes), adminPlural(s.CompactedSegments, "segment"))
	fmt.Fprintf(tw, "WAL last LSN\t%d\n", s.WALLastLSN)
	fmt.Fprintf(tw, "Clock high-water\t%s\n", s.ClockHighWater.UTC().Format(time.RFC3339))
	return tw.Flush()
}

func (cmd *adminSegmentsCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var out struct {
		Segments []adminapi.Segment `json:"segments"`
	}
	if err := c.callJSON(env.ctx, http.MethodGet, "segments", nil, &out); err != nil {
		return err
	}
	if a.JSON {
		return adminPrintJSON(env.stdout, out)
	}
	if len(out.Segments) == 0 {
		fmt.Fprintln(env.stdout, "No segments.")
		return nil
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tSIZE\tBLOCKS\tRAW DATA")
	var size, blocks, raw int64
	for _, s := range out.Segments {
		fmt.Fprintf(tw, "%016x\t%s\t%s\t%d\t%s\n", s.ID, s.State, iecBytes(s.Size), s.Blocks, iecBytes(s.RawBytes))
		size += s.Size
		blocks += s.Blocks
		raw += s.RawBytes
	}
	fmt.Fprintf(tw, "total: %s\t\t%s\t%d\t%s\n", adminPlural(len(out.Segments), "segment"), iecBytes(size), blocks, iecBytes(raw))
	return tw.Flush()
}

func (cmd *adminCompactCmd) Run(env *runEnv, a *adminCmd) error {
	if !(cmd.MinGarbage >= 0 && cmd.MinGarbage <= 1) {
		return fmt.Errorf("--min-garbage %v is not a fraction between 0 and 1", cmd.MinGarbage)
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	q := url.Values{}
	if cmd.Rate > 0 {
		q.Set("rate", strconv.FormatInt(int64(cmd.Rate), 10))
	}
	if cmd.MinGarbage > 0 {
		q.Set("min_garbage", strconv.FormatFloat(cmd.MinGarbage, 'g', -1, 64))
	}
	if !a.JSON && adminIsTerminal(env.stderr) {
		rate := "unlimited"
		if cmd.Rate > 0 {
			rate = iecBytes(int64(cmd.Rate)) + "/s"
		}
		fmt.Fprintf(env.stderr, "Compacting (copy rate %s); interrupting stops the compaction…\n", rate)
	}
	var res adminapi.CompactResult
	if err := c.callJSON(env.ctx, http.MethodPost, "compact", q, &res); err != nil {
		return err
	}
	if a.JSON {
		return adminPrintJSON(env.stdout, res)
	}
	if res.SegmentsRewritten == 0 {
		fmt.Fprintln(env.stdout, "Compaction done: no segment held enough garbage to rewrite.")
		return nil
	}
	fmt.Fprintf(env.stdout, "Compaction done: %s rewritten, %d removed; %s copied, %s reclaimed.\n",
		adminPlural(res.SegmentsRewritten, "segment"), res.SegmentsRemoved, iecBytes(res.BytesCopied), iecBytes(res.BytesReclaimed))
	return nil
}

// verifyLine is any line of the verify stream.
type verifyLine struct {
	adminapi.VerifyProgress
	Report *adminapi.VerifyReport `json:"report"`
	adminapi.ErrorBody
}

func (cmd *adminVerifyCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var q url.Values
	if cmd.Remote {
		q = url.Values{"remote": {"true"}}
	}
	resp, err := c.do(env.ctx, http.MethodPost, "verify", q)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var bar verifyProgress
	if !a.JSON {
		bar = newVerifyProgress(env.stderr, adminIsTerminal(env.stderr))
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 64<<20) // the report lists up to 10000 problems
	var rep *adminapi.VerifyReport
	for rep == nil && sc.Scan() {
		var l verifyLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return fmt.Errorf("admin API: bad verify stream line: %w", err)
		}
		switch {
		case l.Code != "":
			bar.end()
			return fmt.Errorf("verify failed: %s (%s)", l.Message, l.Code)
		case l.Report != nil:
			rep = l.Report
		default:
			bar.update(l.Done, l.Total)
		}
	}
	bar.end()
	if rep == nil {
		if err := sc.Err(); err != nil && env.ctx.Err() == nil {
			return fmt.Errorf("verify: the stream from %s broke off: %w", c.endpoint(), err)
		}
		if env.ctx.Err() != nil {
			return env.ctx.Err()
		}
		return fmt.Errorf("verify: %s ended the stream without a report (see the server log)", c.endpoint())
	}
	if a.JSON {
		if err := adminPrintJSON(env.stdout, rep); err != nil {
			return err
		}
	} else {
		checked := fmt.Sprintf("%s (%s, %s), %s, %s",
			adminPlural(rep.Segments, "segment"), iecBytes(rep.Bytes), adminPlural(rep.Blocks, "block"),
			adminPlural(rep.Versions, "version"), adminPlural(rep.Records, "WAL record"))
		if len(rep.Problems) == 0 {
			fmt.Fprintf(env.stdout, "OK: checked %s; no problems found.\n", checked)
			return nil
		}
		fmt.Fprintf(env.stdout, "FAILED: %s found; checked %s:\n", adminPlural(len(rep.Problems), "problem"), checked)
		for _, p := range rep.Problems {
			fmt.Fprintf(env.stdout, "  %s\n", p.Message)
		}
	}
	if len(rep.Problems) > 0 {
		return fmt.Errorf("verify found %s", adminPlural(len(rep.Problems), "problem"))
	}
	return nil
}

// verifyProgress shows verify progress: a bar redrawn in place on a
// terminal, otherwise a plain line every 10 %. The zero value prints nothing.
type verifyProgress struct {
	w        io.Writer
	terminal bool
	drawn    bool // a bar is on the current line
	lastPct  int  // last percentage printed (plain mode)
}

func newVerifyProgress(w io.Writer, terminal bool) verifyProgress {
	return verifyProgress{w: w, terminal: terminal, lastPct: -1}
}

func (p *verifyProgress) update(done, total int64) {
	if p.w == nil {
		return
	}
	pct := 100
	if total > 0 {
		pct = int(100 * done / total)
	}
	if !p.terminal {
		if pct/10 > p.lastPct/10 || (pct == 100 && p.lastPct != 100) || p.lastPct < 0 {
			fmt.Fprintf(p.w, "verify: %3d%% (%s of %s of segments checked)\n", pct, iecBytes(done), iecBytes(total))
			p.lastPct = pct
		}
		return
	}
	const width = 30
	fill := width * pct / 100
	msg := ""
	if done >= total {
		msg = "  checking index against WAL…"
	}
	fmt.Fprintf(p.w, "\r\033[Kverify [%s%s] %3d%%  %s / %s%s",
		strings.Repeat("█", fill), strings.Repeat("░", width-fill), pct, iecBytes(done), iecBytes(total), msg)
	p.drawn = true
}

// end finishes the bar's line.
func (p *verifyProgress) end() {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// adminPlural returns "1 segment", "2 segments".
func adminPlural[N int | int64](n N, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// adminIsTerminal reports whether w is a terminal (a character device).
func adminIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// iecBytes formats n in binary units: "512 B", "1.5 KiB", "3.2 GiB".
func iecBytes(n int64) string {
	const unit = 1024
	if n < unit && n > -unit {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB", "PiB"} {
		f /= unit
		if f < unit && f > -unit || u == "PiB" {
			return fmt.Sprintf("%.1f %s", f, u)
		}
	}
	return "" // unreachable
}

// byteCount is a flag value in bytes, written as a number with an optional
// unit: "1048576", "64KiB", "50MiB", "1.5GiB" (powers of 1024) or "50MB"
// (powers of 1000).
type byteCount int64

// UnmarshalText implements encoding.TextUnmarshaler for kong.
func (b *byteCount) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.TrimSpace(s[i:])
	}
	mult, ok := map[string]float64{
		"": 1, "b": 1,
		"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
		"ki": 1 << 10, "kib": 1 << 10, "mi": 1 << 20, "mib": 1 << 20, "gi": 1 << 30, "gib": 1 << 30, "ti": 1 << 40, "tib": 1 << 40,
	}[strings.ToLower(unit)]
	f, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || f < 0 || f*mult >= 1<<62 {
		return fmt.Errorf("%q is not a size such as 50MiB", s)
	}
	*b = byteCount(f * mult)
	return nil
}
