package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/wormstore/wormstore/bench"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// benchCmd is `wormstore bench WORKLOAD`: a load generator for any S3
// endpoint, with warp's flags. The logic lives in package bench; this
// maps flags to bench.Config, starts the --embedded server and writes
// the reports.
type benchCmd struct {
	Workload string `arg:"" enum:"put,get,stat,list,delete,mixed,multipart,versioned,retention,legalhold,compare" help:"Workload: put, get, stat, list, delete, mixed, multipart, versioned, retention (COMPLIANCE lock headers + PutObjectRetention extensions) or legalhold; or compare: --workloads against every --target in one interleaved sitting."`

	Endpoint  string `help:"S3 endpoint, host:port or URL (default 127.0.0.1:9000)." env:"WORMSTORE_BENCH_ENDPOINT" placeholder:"HOST:PORT"`
	AccessKey string `help:"Access key." env:"WORMSTORE_BENCH_ACCESS_KEY"`
	SecretKey string `help:"Secret key." env:"WORMSTORE_BENCH_SECRET_KEY"`
	Region    string `help:"Signing region." default:"us-east-1" env:"WORMSTORE_BENCH_REGION"`
	TLS       bool   `name:"tls" help:"Use HTTPS (with --embedded: serve HTTPS with a self-signed certificate)." env:"WORMSTORE_BENCH_TLS"`
	Insecure  bool   `help:"Do not verify the server's TLS certificate." env:"WORMSTORE_BENCH_INSECURE"`
	Client    string `help:"Load client for the measured requests: aws (aws-sdk-go-v2) or minio (minio-go v7, set up as warp sets it up). Set-up and clean-up always use aws." enum:"aws,minio" default:"aws" env:"WORMSTORE_BENCH_CLIENT"`
	Embedded  bool   `help:"Start an in-process wormstore server on a temporary directory (removed at exit) and benchmark it over loopback; no setup needed." env:"WORMSTORE_BENCH_EMBEDDED"`

	Bucket      string        `help:"Bucket; created if missing (and then deleted when empty at the end)." default:"wormstore-bench" env:"WORMSTORE_BENCH_BUCKET"`
	Concurrent  int           `help:"Concurrent requests (workers)." default:"20" env:"WORMSTORE_BENCH_CONCURRENT"`
	ObjSize     bench.Size    `name:"obj.size" help:"Object size, e.g. 4KiB, 10MiB, 1GB." default:"10MiB" env:"WORMSTORE_BENCH_OBJ_SIZE"`
	ObjRandSize bool          `name:"obj.randsize" help:"Random object sizes, log2-distributed up to --obj.size." env:"WORMSTORE_BENCH_OBJ_RANDSIZE"`
	Objects     int           `help:"Objects to prepare for get, stat, list, delete, mixed, versioned, retention, legalhold; 0 = 2500 (25000 for delete), at most 1 GiB." default:"0" env:"WORMSTORE_BENCH_OBJECTS"`
	Duration    time.Duration `help:"Measured duration." default:"10s" env:"WORMSTORE_BENCH_DURATION"`
	Warmup      time.Duration `help:"Warm-up before the measured duration, excluded from the statistics." default:"2s" env:"WORMSTORE_BENCH_WARMUP"`

	PartSize      bench.Size    `name:"part.size" help:"multipart: part size." default:"5MiB" env:"WORMSTORE_BENCH_PART_SIZE"`
	Parts         int           `help:"multipart: parts per upload." default:"10" env:"WORMSTORE_BENCH_PARTS"`
	Batch         int           `help:"delete: keys per DeleteObjects." default:"100" env:"WORMSTORE_BENCH_BATCH"`
	GetDistrib    float64       `name:"get-distrib" help:"mixed, versioned: weight of GET." default:"45" env:"WORMSTORE_BENCH_GET_DISTRIB"`
	StatDistrib   float64       `name:"stat-distrib" help:"mixed, versioned: weight of STAT." default:"30" env:"WORMSTORE_BENCH_STAT_DISTRIB"`
	PutDistrib    float64       `name:"put-distrib" help:"mixed, versioned: weight of PUT." default:"15" env:"WORMSTORE_BENCH_PUT_DISTRIB"`
	DeleteDistrib float64       `name:"delete-distrib" help:"mixed, versioned: weight of DELETE." default:"10" env:"WORMSTORE_BENCH_DELETE_DISTRIB"`
	LockRetain    time.Duration `name:"lock.retain" help:"retention: COMPLIANCE retention from the put; each extension adds to it. Such versions cannot be deleted by anyone until then." default:"1m" env:"WORMSTORE_BENCH_LOCK_RETAIN"`

	Targets          []string `name:"target" help:"compare: a server to benchmark (repeat; the first is compared with each other): wormstore (this binary's server, auto-started), versitygw (auto-started from PATH or ~/go/bin), NAME=wormstore:PATH or NAME=versitygw:PATH (that binary, auto-started: a fresh data directory and process per run), or NAME=http(s)://ACCESS:SECRET@HOST:PORT (a running server)." env:"WORMSTORE_BENCH_TARGET"`
	CompareWorkloads []string `name:"workloads" help:"compare: the workloads, in order." default:"put,get,retention,versioned" env:"WORMSTORE_BENCH_WORKLOADS"`
	Rounds           int      `help:"compare: runs of each (workload, target); the table shows the median." default:"2" env:"WORMSTORE_BENCH_ROUNDS"`
	ProfileDir       string   `name:"profile-dir" help:"compare: write CPU, block and mutex profiles of each auto-started wormstore run's measured window to DIR (the server runs with --pprof-address)." type:"path" placeholder:"DIR" env:"WORMSTORE_BENCH_PROFILE_DIR"`
	VersityKeepAlive bool     `name:"versitygw-keep-alive" help:"compare: start versitygw with --keep-alive (its default closes the connection after every request)." default:"true" negatable:"" env:"WORMSTORE_BENCH_VERSITYGW_KEEP_ALIVE"`

	JSON string `name:"json" help:"Write the results as JSON to FILE." type:"path" placeholder:"FILE" env:"WORMSTORE_BENCH_JSON"`
	HTML string `name:"html" help:"Write a self-contained HTML report (latency histogram, throughput over time) to FILE." type:"path" placeholder:"FILE" env:"WORMSTORE_BENCH_HTML"`
}

// Help is the long help of `wormstore bench --help`.
func (benchCmd) Help() string {
	var b strings.Builder
	b.WriteString("Workloads:\n")
	for _, w := range bench.Workloads() {
		fmt.Fprintf(&b, "  %-10s %s\n", w, bench.WorkloadHelp(w))
	}
	b.WriteString(`
Output uses warp's vocabulary; requests run through aws-sdk-go-v2 (SigV4,
checksums), or with --client minio through minio-go v7 as warp runs them,
without retries. Everything is written under a fresh prefix and
deleted at the end, except versions the run locked (retention), which are
listed with their retain-until date.

Examples:
  wormstore bench put --embedded --obj.size 4KiB --concurrent 32
  wormstore bench get --endpoint 127.0.0.1:9000 --access-key AK --secret-key SK --html report.html
  wormstore bench retention --embedded --duration 30s --json retention.json`)
	return b.String()
}

func (c *benchCmd) Run(env *runEnv) error {
	cfg := bench.Config{
		Endpoint: c.Endpoint, AccessKey: c.AccessKey, SecretKey: c.SecretKey, Region: c.Region,
		TLS: c.TLS, Insecure: c.Insecure, Bucket: c.Bucket, Concurrent: c.Concurrent,
		ObjSize: int64(c.ObjSize), RandSize: c.ObjRandSize, Objects: c.Objects,
		Duration: c.Duration, Warmup: c.Warmup, PartSize: int64(c.PartSize), Parts: c.Parts, Batch: c.Batch,
		GetDistrib: c.GetDistrib, StatDistrib: c.StatDistrib, PutDistrib: c.PutDistrib, DeleteDistrib: c.DeleteDistrib,
		LockRetain: c.LockRetain, Embedded: c.Embedded, Client: c.Client,
	}
	if c.Duration <= 0 {
		return fmt.Errorf("--duration must be positive")
	}
	if c.Workload == "compare" {
		return c.runCompare(env, cfg)
	}
	if len(c.Targets) > 0 {
		return fmt.Errorf("--target is for `wormstore bench compare`; use --endpoint")
	}
	if isTerminal(env.stdout) {
		cfg.Status = env.stdout
	}
	if c.Embedded {
		if c.Endpoint != "" {
			return fmt.Errorf("--embedded starts its own server: drop --endpoint")
		}
		srv, err := startEmbedded(env.ctx, c.Region, c.TLS)
		if err != nil {
			return err
		}
		defer func() {
			if err := srv.stop(); err != nil {
				fmt.Fprintf(env.stderr, "wormstore bench: stop embedded server: %v\n", err)
			}
		}()
		cfg.Endpoint, cfg.AccessKey, cfg.SecretKey, cfg.Insecure = srv.endpoint, srv.accessKey, srv.secretKey, true
		fmt.Fprintf(env.stdout, "Embedded wormstore server at %s (data in %s, removed at exit).\n", srv.endpoint, srv.dir)
	}
	rep, err := bench.Run(env.ctx, bench.Workload(c.Workload), cfg)
	if rep == nil {
		return err
	}
	werr := rep.WriteText(env.stdout)
	if c.JSON != "" {
		werr = errors.Join(werr, writeFile(c.JSON, rep.WriteJSON))
	}
	if c.HTML != "" {
		werr = errors.Join(werr, writeFile(c.HTML, rep.WriteHTML))
	}
	return errors.Join(err, werr)
}

// writeFile writes path with write.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// isTerminal reports whether w is a terminal (for the live status line).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// embedded is an in-process server for --embedded.
type embedded struct {
	dir, endpoint        string
	accessKey, secretKey string
	eng                  *engine.Engine
	srv                  *http.Server
	done                 chan error
}

// startEmbedded opens an engine on a new temporary directory and serves
// s3api on a loopback port, over HTTPS with a throw-away self-signed
// certificate if useTLS, with random credentials.
func startEmbedded(ctx context.Context, region string, useTLS bool) (_ *embedded, err error) {
	dir, err := os.MkdirTemp("", "wormstore-bench-")
	if err != nil {
		return nil, fmt.Errorf("embedded server: %w", err)
	}
	e := &embedded{dir: dir, done: make(chan error, 1),
		accessKey: "BENCH" + randomString(15, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
		secretKey: randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")}
	defer func() {
		if err != nil {
			if e.eng != nil {
				e.eng.Close()
			}
			os.RemoveAll(dir)
		}
	}()
	if e.eng, err = engine.Open(ctx, engine.Options{FS: vfs.Default, Dir: dir}); err != nil {
		return nil, fmt.Errorf("embedded server: %w", err)
	}
	h, err := s3api.New(s3api.Config{Engine: e.eng, Region: region, Credentials: sigv4.StaticCredentials{e.accessKey: e.secretKey}})
	if err != nil {
		return nil, fmt.Errorf("embedded server: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("embedded server: %w", err)
	}
	e.endpoint = "http://" + ln.Addr().String()
	if useTLS {
		cert, err := selfSignedCert()
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("embedded server: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		e.endpoint = "https://" + strings.TrimPrefix(e.endpoint, "http://")
	}
	e.srv = &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	go func() { e.done <- e.srv.Serve(ln) }()
	return e, nil
}

// stop drains the server, closes the engine and removes the directory.
func (e *embedded) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := e.srv.Shutdown(ctx)
	if serr := <-e.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return errors.Join(err, e.eng.Close(), os.RemoveAll(e.dir))
}

// selfSignedCert makes a throw-away certificate for 127.0.0.1.
func selfSignedCert() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "wormstore bench"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
