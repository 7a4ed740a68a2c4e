package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/wormstore/wormstore/adminapi"
	"github.com/wormstore/wormstore/console"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
	"github.com/wormstore/wormstore/identity"
	"github.com/wormstore/wormstore/lifecycle"
	"github.com/wormstore/wormstore/s3api"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

type serverCmd struct {
	Data             string        `help:"Data directory." default:"./data" type:"path"`
	Address          string        `help:"S3 listen address." default:":9000"`
	AdminAddress     string        `help:"Admin listen address (/health/live, /health/ready, /metrics, admin API); empty disables." default:"127.0.0.1:9001"`
	Region           string        `help:"Region the S3 API answers for." default:"us-east-1"`
	Domain           string        `help:"Domain for virtual-hosted-style requests (bucket.DOMAIN); empty = path-style only."`
	TLSCert          string        `name:"tls-cert" help:"TLS certificate (PEM) for the S3 listener; reloaded on SIGHUP." type:"path"`
	TLSKey           string        `name:"tls-key" help:"TLS private key (PEM) for the S3 listener; reloaded on SIGHUP." type:"path"`
	Dev              bool          `help:"Development mode: generate root credentials (kept in DATA/dev-credentials.json) and print them."`
	RootUser         string        `help:"Root access key." env:"WORMSTORE_ROOT_USER"`
	RootPassword     string        `help:"Root secret key." env:"WORMSTORE_ROOT_PASSWORD"`
	RootUserFile     string        `help:"File holding the root access key." env:"WORMSTORE_ROOT_USER_FILE" type:"path"`
	RootPasswordFile string        `help:"File holding the root secret key." env:"WORMSTORE_ROOT_PASSWORD_FILE" type:"path"`
	LogFormat        string        `help:"Log format." enum:"json,text" default:"text"`
	LogLevel         string        `help:"Log level." enum:"debug,info,warn,error" default:"info"`
	ShutdownTimeout  time.Duration `help:"How long to drain in-flight requests on SIGTERM." default:"30s"`
	ConsoleAddress   string        `help:"Web console listen address; empty disables." default:"127.0.0.1:9002"`

	// Checkpoints (docs/notes-checkpoint.md).
	CheckpointInterval time.Duration `help:"How often to take a verified index checkpoint and retire the WAL files it covers to DATA/wal/archive; 0 disables (wormstore admin checkpoint still works)." default:"1h" env:"WORMSTORE_CHECKPOINT_INTERVAL"`

	// Lifecycle (package lifecycle; DESIGN.md "Lifecycle").
	LifecycleInterval time.Duration `help:"How often to apply the buckets' lifecycle rules (never to a version under retention or legal hold); 0 disables the schedule (wormstore admin lifecycle run still works)." default:"1h" env:"WORMSTORE_LIFECYCLE_INTERVAL"`

	ReadHeaderTimeout     time.Duration `help:"Longest time a client may take for the TLS handshake, request line and headers (S3, console and admin listeners); 0 = none." default:"10s"`
	IdleTimeout           time.Duration `help:"Close a keep-alive connection that sends no new request for this long (S3, console and admin listeners); 0 = none." default:"60s"`
	BodyIdleTimeout       time.Duration `help:"Longest wait for the next bytes of a request body: a stalled upload is answered 400 RequestTimeout and its connection closed, a slow but moving one is never cut; also bounds how long a refused request's unsent body holds its connection. 0 = none." default:"30s"`
	MaxConnections        int           `help:"Most connections the S3 listener serves at once; more wait in the kernel's accept queue. 0 = no cap." default:"4096"`
	ConsoleMaxConnections int           `help:"Most connections the web console listener, and separately the admin listener, serve at once. 0 = no cap." default:"256"`

	// Remote tier (tier.go).
	Tier tierFlags `embed:""`
	// SegmentSize is the unit the remote tier moves.
	SegmentSize int64 `help:"Size in bytes at which a segment file is sealed (and becomes movable to the remote tier); at least 2 MiB." default:"268435456"`
	// Profiling.
	PprofAddress string `name:"pprof-address" help:"Serve net/http/pprof (CPU, heap, goroutine, block and mutex profiles) on this address, unauthenticated: keep it on loopback. Enables block and mutex profiling (a few %% CPU). Empty (default) disables." env:"WORMSTORE_PPROF_ADDRESS"`
}

func (c *serverCmd) logger(env *runEnv) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel))
	hopts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(env.stderr, hopts))
	}
	return slog.New(slog.NewTextHandler(env.stderr, hopts))
}

// credentials resolves the root credentials from flags, files or, with
// --dev, a generated pair persisted in the data directory.
func (c *serverCmd) credentials() (user, secret string, generated bool, err error) {
	user, secret = c.RootUser, c.RootPassword
	if c.RootUserFile != "" {
		if user, err = readSecretFile(c.RootUserFile); err != nil {
			return "", "", false, err
		}
	}
	if c.RootPasswordFile != "" {
		if secret, err = readSecretFile(c.RootPasswordFile); err != nil {
			return "", "", false, err
		}
	}
	if user != "" && secret != "" {
		if len(secret) < 8 {
			return "", "", false, fmt.Errorf("the root secret key must be at least 8 characters; set a longer WORMSTORE_ROOT_PASSWORD")
		}
		return user, secret, false, nil
	}
	if !c.Dev {
		return "", "", false, fmt.Errorf("no root credentials: set WORMSTORE_ROOT_USER and WORMSTORE_ROOT_PASSWORD (or their _FILE variants), or pass --dev to generate development credentials")
	}
	path := filepath.Join(c.Data, "dev-credentials.json")
	var dc struct{ AccessKey, SecretKey string }
	if b, err := os.ReadFile(path); err == nil {
		if json.Unmarshal(b, &dc) == nil && dc.AccessKey != "" && dc.SecretKey != "" {
			return dc.AccessKey, dc.SecretKey, true, nil
		}
	}
	dc.AccessKey = "WORM" + randomString(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
	dc.SecretKey = randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
	if err := os.MkdirAll(c.Data, 0o755); err != nil {
		return "", "", false, fmt.Errorf("create data directory %s: %w", c.Data, err)
	}
	b, _ := json.MarshalIndent(dc, "", "  ")
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return "", "", false, fmt.Errorf("write %s: %w", path, err)
	}
	return dc.AccessKey, dc.SecretKey, true, nil
}

func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read credentials file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func (c *serverCmd) Run(env *runEnv) error {
	log := c.logger(env)
	if c.ReadHeaderTimeout < 0 || c.IdleTimeout < 0 || c.BodyIdleTimeout < 0 || c.MaxConnections < 0 || c.ConsoleMaxConnections < 0 {
		return fmt.Errorf("--read-header-timeout, --idle-timeout, --body-idle-timeout, --max-connections and --console-max-connections must not be negative (0 disables)")
	}
	if c.LifecycleInterval < 0 {
		return fmt.Errorf("--lifecycle-interval must not be negative (0 disables the schedule)")
	}
	if err := c.validateTierFlags(); err != nil {
		return err
	}
	user, secret, generated, err := c.credentials()
	if err != nil {
		return err
	}
	var certs *certReloader
	if c.TLSCert != "" || c.TLSKey != "" {
		if c.TLSCert == "" || c.TLSKey == "" {
			return fmt.Errorf("--tls-cert and --tls-key must be given together")
		}
		if certs, err = newCertReloader(c.TLSCert, c.TLSKey); err != nil {
			return err
		}
	}
	// Check the listener before touching the data directory, so a port in
	// use stops the start with nothing changed on disk.
	ln, err := net.Listen("tcp", c.Address)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another server running? choose another port with --address)", c.Address, err)
	}
	defer ln.Close()
	var cln net.Listener
	if c.ConsoleAddress != "" {
		if cln, err = net.Listen("tcp", c.ConsoleAddress); err != nil {
			return fmt.Errorf("listen on %s: %w (choose another port with --console-address, or \"\" to disable)", c.ConsoleAddress, err)
		}
		defer cln.Close()
	}

	if c.PprofAddress != "" {
		stop, err := servePprof(c.PprofAddress, log)
		if err != nil {
			return err
		}
		defer stop()
	}

	// The admin listener comes up before recovery so orchestrators see
	// "live" but not "ready" while the WAL replays.
	m := newMetrics()
	var ready atomic.Bool
	creds := sigv4.StaticCredentials{user: secret}
	api := adminapi.New(adminapi.Config{Region: c.Region, Root: creds, Logger: log, Tier: &tierControl{c: c, log: log}})
	if c.AdminAddress != "" {
		aln, err := net.Listen("tcp", c.AdminAddress)
		if err != nil {
			return fmt.Errorf("listen on %s: %w (choose another port with --admin-address, or \"\" to disable)", c.AdminAddress, err)
		}
		admin := newHTTPServer(adminHandler(m, &ready, api), c.consoleLimits(), log)
		go admin.Serve(limitListener(aln, c.consoleLimits()))
		defer admin.Close()
		log.Info("admin listener", "address", aln.Addr().String())
		if env.adminReady != nil {
			env.adminReady(aln.Addr().String())
		}
	}

	tierOpts, err := c.openTier(env.ctx, log)
	if err != nil {
		return err
	}
	log.Info("opening data directory; recovering", "data", c.Data)
	eng, err := engine.Open(env.ctx, engine.Options{FS: vfs.Default, Dir: c.Data, Logger: log, OnWALSync: m.observeWALSync,
		CheckpointInterval: c.CheckpointInterval, Clock: env.clock, Tier: tierOpts, SegmentSize: c.SegmentSize})
	if err != nil {
		if errors.Is(err, engine.ErrFormatTooNew) {
			return fmt.Errorf("%w (the data directory was written by a newer wormstore; run that version)", err)
		}
		return fmt.Errorf("open data directory %s: %w", c.Data, err)
	}
	defer func() {
		if err := eng.Close(); err != nil {
			log.Error("close engine", "err", err)
		}
	}()
	// Users and their policies; the S3 API and the console authorize
	// every request with them.
	ids, err := identity.Open(vfs.Default, filepath.Join(c.Data, "identities.json"), identity.Credentials{AccessKey: user, SecretKey: secret})
	if err != nil {
		return err
	}
	// One door for the S3 API, the console and the admin API:
	// authorization on the engine's clock, the op table and the audit
	// writer (with one anonymous-refusal limiter).
	door, err := gate.New(gate.Config{Engine: eng, Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		// Before eng.Close: record the counted anonymous refusals.
		if err := door.Flush(context.Background()); err != nil {
			log.Error("audit: anonymous refusal summaries not written", "err", err)
		}
	}()
	h, err := s3api.New(s3api.Config{
		Engine: eng, Region: c.Region, VirtualHostDomain: c.Domain, Logger: log,
		Credentials: ids, Principals: ids, Observe: m.observeS3, Gate: door,
	})
	if err != nil {
		return err
	}
	m.registerEngine(eng)
	m.registerClock(eng)
	// The lifecycle worker acts through the same door (its removals are
	// audited as "lifecycle") and stops before the engine closes.
	lw, err := lifecycle.New(lifecycle.Config{Gate: door, Logger: log.With("component", "lifecycle"), Interval: c.LifecycleInterval})
	if err != nil {
		return err
	}
	m.registerLifecycle(lw)
	lctx, lcancel := context.WithCancel(env.ctx)
	ldone := make(chan struct{})
	go func() {
		defer close(ldone)
		lw.Run(lctx)
	}()
	defer func() {
		lcancel()
		<-ldone
	}()
	api.AttachLifecycle(lw)
	m.registerTier(eng)
	if tierOpts != nil {
		cctx, cancel := context.WithTimeout(env.ctx, 30*time.Second)
		if err := eng.TierCheck(cctx); err != nil {
			log.Error("remote tier: check of the tiered segments failed; reads of tiered data will fail until it is fixed", "err", err)
		}
		cancel()
	}
	api.AttachGate(door)
	api.AttachIdentityStore(ids) // users allowed admin actions may now sign in
	defer api.Detach()           // before eng.Close: ends admin operations first
	srv := newHTTPServer(m.instrument(h), c.limits(), log)
	sln := limitListener(ln, c.limits())
	scheme := "http"
	if certs != nil {
		scheme = "https"
		srv.TLSConfig = certs.config()
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go func() {
			for range hup {
				if err := certs.reload(); err != nil {
					log.Error("SIGHUP: keeping the previous TLS certificate", "err", err)
				} else {
					log.Info("SIGHUP: TLS certificate reloaded", "cert", c.TLSCert)
				}
			}
		}()
	}
	errc := make(chan error, 1)
	go func() {
		if certs != nil {
			errc <- srv.ServeTLS(sln, "", "")
		} else {
			errc <- srv.Serve(sln)
		}
	}()

	ready.Store(true)
	sdNotify(log, "READY=1")
	endpoint := scheme + strings.TrimPrefix(endpointURL(ln.Addr()), "http")
	log.Info("ready", "s3", endpoint, "region", c.Region)
	if generated {
		fmt.Fprintf(env.stdout, `
wormstore is running in development mode with generated root credentials
(kept in %s):

  export AWS_ACCESS_KEY_ID=%s
  export AWS_SECRET_ACCESS_KEY=%s
  export AWS_DEFAULT_REGION=%s
  export AWS_ENDPOINT_URL=%s

  aws s3 mb s3://my-bucket
  aws s3 cp ./file s3://my-bucket/

`, filepath.Join(c.Data, "dev-credentials.json"), user, secret, c.Region, endpoint)
	}
	if cln != nil {
		ch, err := console.New(console.Config{
			Engine: eng, Credentials: ids, Principals: ids, Gate: door,
			Logger: log.With("component", "console"), Secure: certs != nil,
		})
		if err != nil {
			return err
		}
		csrv := newHTTPServer(ch, c.consoleLimits(), log)
		climited := limitListener(cln, c.consoleLimits())
		if certs != nil {
			csrv.TLSConfig = certs.config()
			go csrv.ServeTLS(climited, "", "")
		} else {
			go csrv.Serve(climited)
		}
		defer csrv.Close()
		curl := scheme + strings.TrimPrefix(endpointURL(cln.Addr()), "http")
		log.Info("console", "url", curl)
		if generated {
			fmt.Fprintf(env.stdout, "Web console: %s (sign in with the access key and secret key above)\n\n", curl)
		}
		if env.consoleReady != nil {
			env.consoleReady(cln.Addr().String())
		}
	}
	if env.ready != nil {
		env.ready(ln.Addr().String())
	}

	select {
	case err := <-errc:
		return fmt.Errorf("s3 server: %w", err)
	case <-env.ctx.Done():
	}
	// A second signal exits at once.
	second := make(chan os.Signal, 1)
	signal.Notify(second, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(second)
	go func() {
		<-second
		fmt.Fprintln(env.stderr, "wormstore: second signal, exiting now")
		os.Exit(1)
	}()
	sdNotify(log, "STOPPING=1")
	log.Info("shutting down: draining requests", "timeout", c.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("drain deadline passed; closing connections", "err", err)
		srv.Close()
	}
	return nil
}

func endpointURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
