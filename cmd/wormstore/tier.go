package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wormstore/wormstore/adminapi"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/tier"
)

// tierFlags configure the remote tier (DESIGN.md "Remote tier"; README "Tiering to another S3"). Every flag has
// a WORMSTORE_TIER_* environment twin.
type tierFlags struct {
	TierEndpoint      string        `help:"Remote tier: URL of an S3 store with Object Lock (AWS S3 if empty and --tier-bucket is set)." placeholder:"URL"`
	TierBucket        string        `help:"Remote tier: bucket (created with Object Lock enabled). Setting it enables tiering; without it DATA/tier.json (written by 'admin tier add') is used."`
	TierPrefix        string        `help:"Remote tier: key prefix of the segment objects." default:"wormstore/"`
	TierRegion        string        `help:"Remote tier: region for signing." default:"us-east-1"`
	TierAccessKey     string        `help:"Remote tier: access key."`
	TierSecretKey     string        `help:"Remote tier: secret key."`
	TierSecretKeyFile string        `help:"Remote tier: file holding the secret key." type:"path"`
	TierCAFile        string        `name:"tier-ca-file" help:"Remote tier: PEM CA bundle trusted for its TLS certificate (besides the system roots)." type:"path"`
	TierInsecure      bool          `help:"Remote tier: skip TLS certificate verification (testing only)."`
	TierPathStyle     bool          `help:"Remote tier: path-style bucket addressing (--no-tier-path-style for virtual-hosted)." default:"true" negatable:""`
	TierInterval      time.Duration `help:"Remote tier: how often the move policy runs; 0 disables it ('admin tier move' still works)." default:"10m"`
	TierMinAge        time.Duration `help:"Remote tier: move sealed segments older than this; 0 disables the age rule." default:"168h"`
	TierMinFree       float64       `help:"Remote tier: while the data disk's free fraction is below this, move the oldest sealed segments regardless of age; 0 disables." default:"0.10"`
	TierMinRetention  time.Duration `help:"Remote tier: least COMPLIANCE retention every remote segment object gets, also for unlocked data." default:"24h"`
	TierCacheSize     int64         `help:"Remote tier: bytes of remote data cached in memory for reads." default:"67108864"`
	TierPartSize      int64         `help:"Remote tier: multipart part size in bytes." default:"16777216"`
}

const tierConfigFile = "tier.json"

// tierConfig returns the tier configuration from the flags, else from
// DATA/tier.json, else nil.
func (c *serverCmd) tierConfig() (*tier.Config, error) {
	f := c.Tier
	if f.TierBucket == "" {
		b, err := os.ReadFile(filepath.Join(c.Data, tierConfigFile))
		if errors.Is(err, os.ErrNotExist) {
			if f.TierEndpoint != "" || f.TierAccessKey != "" {
				return nil, fmt.Errorf("--tier-endpoint and --tier-access-key need --tier-bucket")
			}
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", tierConfigFile, err)
		}
		var cfg tier.Config
		if err := json.Unmarshal(b, &cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(c.Data, tierConfigFile), err)
		}
		return &cfg, nil
	}
	secret := f.TierSecretKey
	if f.TierSecretKeyFile != "" {
		s, err := readSecretFile(f.TierSecretKeyFile)
		if err != nil {
			return nil, err
		}
		secret = s
	}
	ps := f.TierPathStyle
	return &tier.Config{Endpoint: f.TierEndpoint, Bucket: f.TierBucket, Prefix: f.TierPrefix, Region: f.TierRegion,
		AccessKey: f.TierAccessKey, SecretKey: secret, CAFile: f.TierCAFile, Insecure: f.TierInsecure, PathStyle: &ps,
		PartSize: f.TierPartSize}, nil
}

// tierOptions turns a checked client into engine options.
func (c *serverCmd) tierOptions(cl *tier.Client) *engine.TierOptions {
	f := c.Tier
	return &engine.TierOptions{Remote: cl, Prefix: cl.Prefix(), Interval: f.TierInterval, MinAge: f.TierMinAge,
		MinFreeFraction: f.TierMinFree, MinRetention: f.TierMinRetention, CacheBytes: f.TierCacheSize}
}

func (c *serverCmd) validateTierFlags() error {
	f := c.Tier
	switch {
	case f.TierInterval < 0 || f.TierMinAge < 0 || f.TierMinRetention < 0:
		return errors.New("--tier-interval, --tier-min-age and --tier-min-retention must not be negative")
	case f.TierMinFree < 0 || f.TierMinFree >= 1:
		return errors.New("--tier-min-free must be a fraction in [0, 1)")
	case f.TierCacheSize < 0:
		return errors.New("--tier-cache-size must not be negative")
	}
	return nil
}

// openTier builds and checks the configured remote tier before the
// engine opens. A remote that answers but cannot lock refuses the start; a
// remote that cannot be reached is attached anyway (reads of tiered data
// and moves retry, /health/ready warns) so local data stays served.
func (c *serverCmd) openTier(ctx context.Context, log *slog.Logger) (*engine.TierOptions, error) {
	cfg, err := c.tierConfig()
	if err != nil || cfg == nil {
		return nil, err
	}
	cl, err := tier.New(*cfg)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := cl.Check(cctx); err != nil {
		if errors.Is(err, tier.ErrNoObjectLock) {
			return nil, fmt.Errorf("remote tier %s refused: %w", cl.Describe(), err)
		}
		log.Error("remote tier unreachable at start; tiered reads and moves will retry", "target", cl.Describe(), "err", err)
	} else {
		log.Info("remote tier checked: versioning and Object Lock enabled", "target", cl.Describe())
	}
	return c.tierOptions(cl), nil
}

// tierControl implements adminapi.TierControl: `admin tier add`.
type tierControl struct {
	c   *serverCmd
	log *slog.Logger
	mu  sync.Mutex
}

func (t *tierControl) Configure(ctx context.Context, eng *engine.Engine, cfg tier.Config) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	cl, err := tier.New(cfg)
	if err != nil {
		return err
	}
	// Tiered segments are addressed by key and version in the current
	// target: switching to another would make them unreadable.
	if cur := eng.TierStatus(); cur.Configured && cur.Target != cl.Describe() && len(eng.TieredSegments()) > 0 {
		return &adminapi.StatusError{Status: http.StatusConflict, Code: "TierInUse", Message: fmt.Sprintf(
			"%d segments are held by the remote tier %s; a different target (%s) would make them unreadable (the endpoint, bucket and prefix must stay the same; credentials and TLS settings may change)",
			len(eng.TieredSegments()), cur.Target, cl.Describe())}
	}
	if err := cl.Check(ctx); err != nil {
		return err
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(t.c.Data, tierConfigFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if err := syncFile(t.c.Data); err != nil {
		return err
	}
	eng.SetTier(t.c.tierOptions(cl))
	t.log.Info("remote tier configured at run time", "target", cl.Describe(), "persisted", path)
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// registerTier exports the tier's counters.
func (m *metrics) registerTier(eng *engine.Engine) {
	g := func(name, help string, f func(engine.TierStatus) float64) {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return f(eng.TierStatus()) }))
	}
	c := func(name, help string, f func(engine.TierStatus) float64) {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return f(eng.TierStatus()) }))
	}
	g("wormstore_tier_configured", "1 when a remote tier is configured.", func(s engine.TierStatus) float64 {
		if s.Configured {
			return 1
		}
		return 0
	})
	g("wormstore_tier_segments", "Segments held by the remote tier.", func(s engine.TierStatus) float64 { return float64(s.Segments) })
	g("wormstore_tier_bytes", "Bytes of the segments held by the remote tier.", func(s engine.TierStatus) float64 { return float64(s.Bytes) })
	c("wormstore_tier_uploads_total", "Segments uploaded to the remote tier.", func(s engine.TierStatus) float64 { return float64(s.Uploads) })
	c("wormstore_tier_uploaded_bytes_total", "Bytes uploaded to the remote tier.", func(s engine.TierStatus) float64 { return float64(s.UploadedBytes) })
	c("wormstore_tier_retries_total", "Remote tier calls retried after an error (503, timeout, auth, ...).", func(s engine.TierStatus) float64 { return float64(s.Retries) })
	c("wormstore_tier_failures_total", "Remote tier calls that failed after all retries.", func(s engine.TierStatus) float64 { return float64(s.Failures) })
	c("wormstore_tier_removed_segments_total", "Remote segment objects deleted (unreferenced, retention passed).", func(s engine.TierStatus) float64 { return float64(s.RemovedSegments) })
	c("wormstore_tier_cache_hits_total", "Reads of tiered data served from the local cache.", func(s engine.TierStatus) float64 { return float64(s.CacheHits) })
	c("wormstore_tier_cache_misses_total", "Reads of tiered data fetched by ranged GET.", func(s engine.TierStatus) float64 { return float64(s.CacheMisses) })
}

// adminTierCmd is `wormstore admin tier`.
type adminTierCmd struct {
	Add     adminTierAddCmd     `cmd:"" help:"Configure the remote tier on the running server: check that the bucket has versioning and Object Lock, attach it, persist it in DATA/tier.json."`
	Test    adminTierTestCmd    `cmd:"" help:"Check the configured remote tier now (reachable, versioning and Object Lock enabled)."`
	Status  adminTierStatusCmd  `cmd:"" help:"Show the remote tier: target, tiered segments, counters, last remote error."`
	Move    adminTierMoveCmd    `cmd:"" help:"Move a sealed segment to the remote tier now (or --policy: run the move policy once)."`
	Orphans adminTierOrphansCmd `cmd:"" help:"List remote versions no tiered segment records (interrupted or abandoned uploads; locked until their retention, never deleted by wormstore)."`
}

type adminTierOrphansCmd struct{}

func (cmd *adminTierOrphansCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var res adminapi.TierOrphans
	if err := c.callJSON(env.ctx, http.MethodGet, "tier/orphans", nil, &res); err != nil {
		return err
	}
	if a.JSON {
		return adminPrintJSON(env.stdout, res)
	}
	if len(res.Orphans) == 0 {
		fmt.Fprintln(env.stdout, "No orphan remote versions.")
		return nil
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVERSION\tSIZE")
	for _, o := range res.Orphans {
		fmt.Fprintf(tw, "%s\t%s\t%d\n", o.Key, o.VersionID, o.Size)
	}
	return tw.Flush()
}

type adminTierAddCmd struct {
	Endpoint      string `help:"URL of the remote S3 store (empty: AWS S3)." placeholder:"URL" env:"WORMSTORE_TIER_ENDPOINT"`
	Bucket        string `help:"Remote bucket, created with Object Lock enabled." required:"" env:"WORMSTORE_TIER_BUCKET"`
	Prefix        string `help:"Key prefix." default:"wormstore/" env:"WORMSTORE_TIER_PREFIX"`
	RemoteRegion  string `help:"Remote region for signing." default:"us-east-1" env:"WORMSTORE_TIER_REGION"`
	RemoteKey     string `help:"Remote access key." required:"" env:"WORMSTORE_TIER_ACCESS_KEY"`
	RemoteSecret  string `help:"Remote secret key." env:"WORMSTORE_TIER_SECRET_KEY"`
	RemoteSecFile string `name:"remote-secret-file" help:"File holding the remote secret key." type:"path" env:"WORMSTORE_TIER_SECRET_KEY_FILE"`
	CAFile        string `name:"ca-file" help:"PEM CA bundle for the remote's TLS certificate (a path on the server)." env:"WORMSTORE_TIER_CA_FILE"`
	Insecure      bool   `help:"Skip TLS verification (testing only)." env:"WORMSTORE_TIER_INSECURE"`
	PathStyle     bool   `help:"Path-style addressing." default:"true" negatable:"" env:"WORMSTORE_TIER_PATH_STYLE"`
}

type adminTierTestCmd struct{}
type adminTierStatusCmd struct{}
type adminTierMoveCmd struct {
	Segment uint64 `arg:"" optional:"" help:"Segment id (as 'admin segments' lists it)."`
	Policy  bool   `help:"Run the move policy (age, free space) once instead."`
}

func (cmd *adminTierAddCmd) Run(env *runEnv, a *adminCmd) error {
	secret := cmd.RemoteSecret
	if cmd.RemoteSecFile != "" {
		s, err := readSecretFile(cmd.RemoteSecFile)
		if err != nil {
			return err
		}
		secret = s
	}
	if secret == "" {
		return errors.New("give the remote secret key with --remote-secret, --remote-secret-file or WORMSTORE_TIER_SECRET_KEY")
	}
	ps := cmd.PathStyle
	cfg := tier.Config{Endpoint: cmd.Endpoint, Bucket: cmd.Bucket, Prefix: cmd.Prefix, Region: cmd.RemoteRegion,
		AccessKey: cmd.RemoteKey, SecretKey: secret, CAFile: cmd.CAFile, Insecure: cmd.Insecure, PathStyle: &ps}
	if err := cfg.Validate(); err != nil {
		return err
	}
	body, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	resp, err := c.doBody(env.ctx, http.MethodPut, "tier", nil, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var st adminapi.TierStatus
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return fmt.Errorf("admin API: decode tier answer: %w", err)
	}
	if a.JSON {
		return adminPrintJSON(env.stdout, st)
	}
	fmt.Fprintf(env.stdout, "Remote tier %s checked (versioning and Object Lock enabled) and attached.\n", st.Target)
	return nil
}

func (cmd *adminTierTestCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var res adminapi.TierTest
	if err := c.callJSON(env.ctx, http.MethodPost, "tier/test", nil, &res); err != nil {
		return err
	}
	if a.JSON {
		return adminPrintJSON(env.stdout, res)
	}
	fmt.Fprintf(env.stdout, "Remote tier %s: reachable, versioning and Object Lock enabled.\n", res.Target)
	return nil
}

func (cmd *adminTierStatusCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var st adminapi.TierStatus
	if err := c.callJSON(env.ctx, http.MethodGet, "tier", nil, &st); err != nil {
		return err
	}
	if a.JSON {
		return adminPrintJSON(env.stdout, st)
	}
	if !st.Configured {
		fmt.Fprintln(env.stdout, "No remote tier configured.")
	} else {
		fmt.Fprintf(env.stdout, "Remote tier: %s\n", st.Target)
	}
	fmt.Fprintf(env.stdout, "Tiered: %s, %d bytes. Uploads %d (%d bytes), retries %d, failures %d, removed %d, cache hits %d / misses %d.\n",
		adminPlural(len(st.Segments), "segment"), st.Bytes, st.Uploads, st.UploadedBytes, st.Retries, st.Failures, st.RemovedSegments, st.CacheHits, st.CacheMisses)
	if st.LastError != "" && st.LastErrorAt != nil {
		fmt.Fprintf(env.stdout, "Last remote error (%s, %s): %s\n", st.LastErrorOp, st.LastErrorAt.Format(time.RFC3339), st.LastError)
	}
	if len(st.Segments) > 0 {
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEGMENT\tSIZE\tRETAIN UNTIL\tHOLD\tKEY\tVERSION")
		for _, s := range st.Segments {
			fmt.Fprintf(tw, "%d\t%d\t%s\t%v\t%s\t%s\n", s.ID, s.Size, s.RetainUntil.Format(time.RFC3339), s.LegalHold, s.Key, s.VersionID)
		}
		return tw.Flush()
	}
	return nil
}

func (cmd *adminTierMoveCmd) Run(env *runEnv, a *adminCmd) error {
	if (cmd.Segment == 0) == !cmd.Policy {
		return errors.New("give a segment id or --policy")
	}
	q := url.Values{}
	if cmd.Policy {
		q.Set("policy", "true")
	} else {
		q.Set("segment", strconv.FormatUint(cmd.Segment, 10))
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	var res adminapi.TierMove
	if err := c.callJSON(env.ctx, http.MethodPost, "tier/move", q, &res); err != nil {
		return err
	}
	if a.JSON {
		return adminPrintJSON(env.stdout, res)
	}
	if len(res.Moved) == 0 {
		fmt.Fprintln(env.stdout, "Nothing moved.")
	}
	for _, s := range res.Moved {
		line := fmt.Sprintf("Moved segment %d", s.ID)
		if s.Key != "" {
			line += fmt.Sprintf(" to %s (version %s, %d bytes, COMPLIANCE until %s)", s.Key, s.VersionID, s.Size, s.RetainUntil.Format(time.RFC3339))
		}
		fmt.Fprintln(env.stdout, strings.TrimSpace(line)+".")
	}
	return nil
}
