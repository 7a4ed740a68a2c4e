package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Workload names a load that Run generates.
type Workload string

// The workloads. Each is described in Workloads' order by WorkloadHelp.
const (
	WorkloadPut       Workload = "put"
	WorkloadGet       Workload = "get"
	WorkloadStat      Workload = "stat"
	WorkloadList      Workload = "list"
	WorkloadDelete    Workload = "delete"
	WorkloadMixed     Workload = "mixed"
	WorkloadMultipart Workload = "multipart"
	WorkloadVersioned Workload = "versioned"
	WorkloadRetention Workload = "retention"
	WorkloadLegalHold Workload = "legalhold"
)

// Workloads returns every workload, in the order the help lists them.
func Workloads() []Workload {
	return []Workload{WorkloadPut, WorkloadGet, WorkloadStat, WorkloadList, WorkloadDelete,
		WorkloadMixed, WorkloadMultipart, WorkloadVersioned, WorkloadRetention, WorkloadLegalHold}
}

// WorkloadHelp is one line per workload, for command-line help.
func WorkloadHelp(w Workload) string {
	switch w {
	case WorkloadPut:
		return "PutObject of new objects"
	case WorkloadGet:
		return "GetObject of --objects prepared objects (with TTFB)"
	case WorkloadStat:
		return "HeadObject of --objects prepared objects"
	case WorkloadList:
		return "ListObjectsV2 of each worker's prefix of prepared objects (obj/s counts keys listed)"
	case WorkloadDelete:
		return "DeleteObjects of --batch prepared objects per request, until they run out"
	case WorkloadMixed:
		return "GET/STAT/PUT/DELETE by --get/--stat/--put/--delete-distrib over a shared set of objects"
	case WorkloadMultipart:
		return "UploadPart of --part.size parts, --parts per upload, then CompleteMultipartUpload"
	case WorkloadVersioned:
		return "mixed on a versioned bucket: new versions, GET/STAT/DELETE of specific versions"
	case WorkloadRetention:
		return "PutObject with COMPLIANCE lock headers, then PutObjectRetention extensions (Veeam-style)"
	case WorkloadLegalHold:
		return "PutObjectLegalHold ON/OFF on prepared objects in an Object Lock bucket"
	}
	return ""
}

// Operation types, as warp names them where warp has them.
const (
	OpPut       = "PUT"
	OpGet       = "GET"
	OpStat      = "STAT"
	OpList      = "LIST"
	OpDelete    = "DELETE"
	OpPutPart   = "PUTPART"
	OpComplete  = "COMPLETE"
	OpRetention = "RETENTION"
	OpLegalHold = "LEGALHOLD"
)

// Defaults of Config, applied by EnsureDefaults.
const (
	DefaultEndpoint   = "127.0.0.1:9000"
	DefaultRegion     = "us-east-1"
	DefaultBucket     = "wormstore-bench"
	DefaultConcurrent = 20
	DefaultObjSize    = 10 << 20
	DefaultDuration   = 10 * time.Second
	DefaultPartSize   = 5 << 20
	DefaultParts      = 10
	DefaultBatch      = 100
	DefaultLockRetain = time.Minute

	// autoBytes bounds the data that an automatic --objects prepares.
	autoBytes = 1 << 30
	// cleanupTimeout bounds the clean-up after a run, also after Ctrl-C.
	cleanupTimeout = 2 * time.Minute
)

// Config configures Run. The zero value of every field means the default
// documented on it; EnsureDefaults fills them in.
type Config struct {
	// Endpoint is host:port or a URL. Default 127.0.0.1:9000.
	Endpoint string
	// Client is the SDK that issues the measured requests: "aws"
	// (aws-sdk-go-v2, the default) or "minio" (minio-go v7, set up as
	// warp sets it up). Bucket set-up and clean-up always use aws.
	Client string
	// AccessKey and SecretKey sign every request (SigV4).
	AccessKey, SecretKey string
	// Region is the signing region. Default us-east-1.
	Region string
	// TLS selects https:// for a bare host:port; Insecure skips
	// certificate verification.
	TLS, Insecure bool
	// Bucket is used, or created (and deleted at the end if empty) when
	// missing. Default wormstore-bench. Everything a run writes lives
	// under a fresh random prefix in it.
	Bucket string
	// Concurrent is the number of workers, each with one request in
	// flight. Default 20.
	Concurrent int
	// ObjSize is the object size, or with RandSize the largest one:
	// random sizes are log2-distributed in [1, ObjSize] as warp's
	// --obj.randsize. Default 10 MiB.
	ObjSize  int64
	RandSize bool
	// Objects is the number of objects prepared by get, stat, list,
	// delete, mixed, versioned, retention and legalhold. Default (0):
	// 2500 (25 000 for delete), fewer if that would exceed 1 GiB, and at
	// least Concurrent.
	Objects int
	// Duration is the measured time; Warmup runs before it with the same
	// load and is excluded from the statistics. Defaults 10 s and 0.
	Duration, Warmup time.Duration
	// PartSize and Parts shape multipart uploads. Defaults 5 MiB and 10.
	PartSize int64
	Parts    int
	// Batch is the number of keys per DeleteObjects of the delete
	// workload. Default 100.
	Batch int
	// GetDistrib, StatDistrib, PutDistrib and DeleteDistrib weigh the
	// operations of mixed and versioned. Default (all zero) 45/30/15/10,
	// as warp.
	GetDistrib, StatDistrib, PutDistrib, DeleteDistrib float64
	// LockRetain is how long the retention workload's COMPLIANCE lock
	// lasts from the put; every extension pushes it further. Versions so
	// locked cannot be deleted by anyone until then. Default 1 minute.
	LockRetain time.Duration
	// Status, if set, receives a status line each second, rewritten in
	// place with \r (for a terminal).
	Status io.Writer
	// Embedded marks the report as measured against an in-process server
	// sharing this machine's CPUs (informational).
	Embedded bool
	// OnMeasure, if set, is called once in its own goroutine when the
	// measured window begins (after the warm-up), with the window's
	// length; Compare uses it to take server profiles of exactly the
	// window.
	OnMeasure func(window time.Duration)
}

// EnsureDefaults fills in the zero fields of c.
func (c *Config) EnsureDefaults() {
	if c.Endpoint == "" {
		c.Endpoint = DefaultEndpoint
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	if c.Client == "" {
		c.Client = ClientAWS
	}
	if c.Bucket == "" {
		c.Bucket = DefaultBucket
	}
	if c.Concurrent == 0 {
		c.Concurrent = DefaultConcurrent
	}
	if c.ObjSize == 0 {
		c.ObjSize = DefaultObjSize
	}
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.PartSize == 0 {
		c.PartSize = DefaultPartSize
	}
	if c.Parts == 0 {
		c.Parts = DefaultParts
	}
	if c.Batch == 0 {
		c.Batch = DefaultBatch
	}
	if c.GetDistrib == 0 && c.StatDistrib == 0 && c.PutDistrib == 0 && c.DeleteDistrib == 0 {
		c.GetDistrib, c.StatDistrib, c.PutDistrib, c.DeleteDistrib = 45, 30, 15, 10
	}
	if c.LockRetain == 0 {
		c.LockRetain = DefaultLockRetain
	}
}

// Validate reports the first invalid field of c for workload w.
func (c *Config) Validate(w Workload) error {
	if WorkloadHelp(w) == "" {
		return fmt.Errorf("bench: unknown workload %q", w)
	}
	switch {
	case c.Client != ClientAWS && c.Client != ClientMinio:
		return fmt.Errorf("bench: unknown client %q (want aws or minio)", c.Client)
	case c.AccessKey == "" || c.SecretKey == "":
		return fmt.Errorf("bench: an access key and a secret key are needed (--access-key, --secret-key), or --embedded")
	case c.Concurrent < 1:
		return fmt.Errorf("bench: concurrency %d must be at least 1", c.Concurrent)
	case c.ObjSize < 1:
		return fmt.Errorf("bench: object size %d must be at least 1 byte", c.ObjSize)
	case c.Objects < 0:
		return fmt.Errorf("bench: object count %d must not be negative", c.Objects)
	case c.Duration < 0 || c.Warmup < 0:
		return fmt.Errorf("bench: duration and warm-up must not be negative")
	case c.PartSize < 1 || c.Parts < 1 || c.Parts > 10000:
		return fmt.Errorf("bench: multipart needs a positive part size and 1..10000 parts")
	case c.Batch < 1 || c.Batch > 1000:
		return fmt.Errorf("bench: delete batch %d must be 1..1000", c.Batch)
	case c.GetDistrib < 0 || c.StatDistrib < 0 || c.PutDistrib < 0 || c.DeleteDistrib < 0:
		return fmt.Errorf("bench: operation distribution weights must not be negative")
	case c.LockRetain < time.Second:
		return fmt.Errorf("bench: lock retention %v must be at least 1s", c.LockRetain)
	}
	_, err := EndpointURL(*c)
	return err
}

// objects resolves Config.Objects for workload w.
func (c *Config) objects(w Workload) int {
	if c.Objects > 0 {
		return max(c.Objects, minObjects(w, c.Concurrent))
	}
	n := 2500
	if w == WorkloadDelete {
		n = 25000
	}
	n = int(min(int64(n), max(autoBytes/c.ObjSize, 1)))
	return max(n, minObjects(w, c.Concurrent))
}

// minObjects is the fewest objects w can run with: one per worker where
// workers own objects.
func minObjects(w Workload, conc int) int {
	switch w {
	case WorkloadList, WorkloadRetention, WorkloadLegalHold:
		return conc
	}
	return 1
}

// Run generates workload w against the endpoint of cfg and returns the
// report. It creates the bucket if missing, writes under a fresh random
// prefix, prepares the objects the workload reads, runs Warmup+Duration
// with Concurrent workers, and cleans up: it deletes every version it
// wrote and the bucket if it created it, except versions under a lock it
// placed, which the report lists. Cancelling ctx ends the run early; the
// report then covers what ran (Interrupted) and clean-up still happens.
// Run returns an error only if the run could not start or prepare.
func Run(ctx context.Context, w Workload, cfg Config) (*Report, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(w); err != nil {
		return nil, err
	}
	client, err := NewClient(cfg)
	if err != nil {
		return nil, err
	}
	lc, err := newLoadClient(cfg, client)
	if err != nil {
		return nil, err
	}
	ep, _ := EndpointURL(cfg)
	r := &runner{
		w: w, cfg: cfg, s3: client, c: lc, epoch: time.Now(), bucket: cfg.Bucket,
		prefix:  "wsbench-" + randomName(8) + "/",
		uploads: map[string]string{},
		pool:    newPool(),
	}
	rep := &Report{
		Workload: w, Client: cfg.Client, Endpoint: ep, Bucket: cfg.Bucket, Prefix: r.prefix,
		Concurrency: cfg.Concurrent, ObjectSize: cfg.ObjSize, RandomSize: cfg.RandSize,
		Duration: cfg.Duration.Seconds(), Warmup: cfg.Warmup.Seconds(),
		Started: r.epoch.UTC(), Machine: thisMachine(), Embedded: cfg.Embedded,
	}
	size := cfg.ObjSize
	if w == WorkloadMultipart {
		size = cfg.PartSize
		rep.ObjectSize = cfg.PartSize
	}
	r.data = randomBytes(int(size))
	for i := range cfg.Concurrent {
		seed := [32]byte{}
		_, _ = rand.Read(seed[:])
		r.workers = append(r.workers, &worker{id: i, r: r, rng: mrand.New(mrand.NewChaCha8(seed)), rbuf: make([]byte, 256<<10)})
	}
	if err := r.setupBucket(ctx); err != nil {
		return nil, err
	}
	defer func() { rep.Locked, rep.Cleanup = r.cleanup(ctx) }()
	if err := r.prepare(ctx); err != nil {
		return rep, err
	}
	cpu0 := ProcessCPUTime()
	r.runMain(ctx)
	cpu := ProcessCPUTime() - cpu0
	rep.Interrupted = ctx.Err() != nil
	if n := r.requests(); n > 0 && cpu > 0 {
		rep.ClientCPUPerOp = float64(cpu.Microseconds()) / float64(n)
	}
	rep.Operations = r.analyze()
	return rep, nil
}

// runner is one Run.
type runner struct {
	w       Workload
	cfg     Config
	s3      *s3.Client // set-up and clean-up
	c       loadClient // the measured requests
	epoch   time.Time  // Op times are relative to it
	bucket  string
	prefix  string
	created bool   // the bucket was created by this run
	data    []byte // random object data, shared read-only
	workers []*worker
	pool    *pool

	// prepStart..prepEnd is the prepare phase; mainStart is when the
	// load (warm-up first) began; winFrom..winTo is the measured window.
	prepStart, prepEnd, mainStart, winFrom, winTo time.Duration
	reportPrepare                                 bool

	failed atomic.Int64 // failed main-phase operations

	mu      sync.Mutex
	uploads map[string]string // open multipart upload id → key, guarded by mu
}

// worker is one load goroutine and its records.
type worker struct {
	id   int
	r    *runner
	rng  *mrand.Rand
	rbuf []byte // read buffer
	seq  int    // objects written

	listPrefix string // the list workload's prefix, made once

	// own holds the versions this worker put and alone touches
	// (retention, legalhold), so their state needs no lock.
	own []*ownedVersion
	// upload is the worker's open multipart upload, if any.
	upload *mpu

	mu   sync.Mutex
	prep []Op // prepare-phase ops, guarded by mu
	ops  []Op // main-phase ops, guarded by mu
}

// ownedVersion is a version a worker put in a lock workload.
type ownedVersion struct {
	key, version string
	until        time.Time // COMPLIANCE retain-until, if locked
	hold         bool      // legal hold ON
	uncertain    bool      // a lock change failed: the server's state is unknown
}

// mpu is an open multipart upload.
type mpu struct {
	key, id string
	parts   []uploadedPart
}

// now is the time since the run's epoch.
func (r *runner) now() time.Duration { return time.Since(r.epoch) }

// record appends op to the worker's main-phase (or prepare-phase) log.
func (w *worker) record(op Op, prepare bool) {
	w.mu.Lock()
	if prepare {
		w.prep = append(w.prep, op)
	} else {
		w.ops = append(w.ops, op)
	}
	w.mu.Unlock()
	if op.Err != "" && !prepare {
		w.r.failed.Add(1)
	}
}

// timed runs fn as one operation of type typ moving size bytes and
// returns its record (not yet recorded).
func (w *worker) timed(typ string, size int64, fn func() error) Op {
	op := Op{Type: typ, Start: w.r.now(), Bytes: size, Objects: 1}
	err := fn()
	op.End = w.r.now()
	if err != nil {
		op.Err = errString(err)
	}
	return op
}

// errString is err as one line of bounded length.
func errString(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

// nextKey returns a new key for worker w: prefix, the worker id in at
// least 3 digits, "/", the sequence number in at least 8 (as
// fmt's %03d/%08d, without its per-call formatting cost).
func (w *worker) nextKey() string {
	w.seq++
	b := make([]byte, 0, len(w.r.prefix)+16)
	b = append(b, w.r.prefix...)
	b = appendPadded(b, w.id, 3)
	b = append(b, '/')
	b = appendPadded(b, w.seq, 8)
	return string(b)
}

// appendPadded appends the decimal n (not negative), zero-padded to
// width digits.
func appendPadded(b []byte, n, width int) []byte {
	var d [20]byte
	i := len(d)
	for n >= 10 || len(d)-i < width-1 {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
	}
	i--
	d[i] = byte('0' + n)
	return append(b, d[i:]...)
}

// size returns the size of the next object.
func (w *worker) size() int64 {
	largest := w.r.cfg.ObjSize
	if !w.r.cfg.RandSize || largest <= 1 {
		return largest
	}
	e := w.rng.Float64() * math.Log2(float64(largest))
	return min(largest, int64(math.Exp2(e)))
}

// body returns a seekable body of size bytes: a unique 16-byte header
// (so no two objects are equal) followed by the shared random data.
func (w *worker) body(size int64) *objectBody {
	b := &objectBody{data: w.r.data[:size]}
	u := w.rng.Uint64()
	for i := range 8 {
		b.head[i] = byte(u >> (8 * i))
		b.head[8+i] = byte(w.seq >> (8 * i))
	}
	return b
}

// objectBody is an io.ReadSeeker over head followed by data[len(head):]
// (or a prefix of head for tiny objects). data is shared and never
// written.
type objectBody struct {
	head [16]byte
	data []byte
	off  int64
}

func (b *objectBody) Read(p []byte) (int, error) {
	size := int64(len(b.data))
	if b.off >= size {
		return 0, io.EOF
	}
	var n int
	if b.off < int64(len(b.head)) {
		n = copy(p, b.head[b.off:min(int64(len(b.head)), size)])
	} else {
		n = copy(p, b.data[b.off:])
	}
	b.off += int64(n)
	return n, nil
}

func (b *objectBody) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += b.off
	case io.SeekEnd:
		off += int64(len(b.data))
	default:
		return 0, errors.New("bench: bad whence")
	}
	if off < 0 {
		return 0, errors.New("bench: negative seek")
	}
	b.off = off
	return off, nil
}

// putObject puts a new object of the given size under key, with a
// COMPLIANCE lock until lockUntil unless that is zero, and returns the
// operation and the version id (if the bucket is versioned).
func (w *worker) putObject(ctx context.Context, key string, size int64, lockUntil time.Time) (Op, string) {
	body := w.body(size)
	var version string
	op := w.timed(OpPut, size, func() (err error) {
		version, err = w.r.c.put(ctx, key, body, size, lockUntil)
		return err
	})
	return op, version
}

// getObject reads key (at version, if set) to the end.
func (w *worker) getObject(ctx context.Context, key, version string, size int64) Op {
	var ttfb time.Duration
	op := w.timed(OpGet, size, func() error {
		var n int64
		var err error
		n, ttfb, err = w.r.c.get(ctx, key, version, w.rbuf)
		if err != nil {
			return err
		}
		if n != size {
			return fmt.Errorf("GET %s: read %d bytes, want %d", key, n, size)
		}
		return nil
	})
	op.TTFB = ttfb
	return op
}

// statObject heads key (at version, if set).
func (w *worker) statObject(ctx context.Context, key, version string, size int64) Op {
	return w.timed(OpStat, 0, func() error {
		got, err := w.r.c.head(ctx, key, version)
		if err != nil {
			return err
		}
		if got != size {
			return fmt.Errorf("HEAD %s: size %d, want %d", key, got, size)
		}
		return nil
	})
}

// deleteObject deletes key (a version of it, if set).
func (w *worker) deleteObject(ctx context.Context, key, version string) Op {
	return w.timed(OpDelete, 0, func() error {
		return w.r.c.deleteObject(ctx, key, version)
	})
}

// prepare creates the objects the workload reads, with all workers;
// worker w creates objects w, w+conc, … so that each owns some.
func (r *runner) prepare(ctx context.Context) error {
	r.prepStart = r.now()
	defer func() { r.prepEnd = r.now() }()
	var n int
	switch r.w {
	case WorkloadPut, WorkloadMultipart:
		return nil
	case WorkloadRetention:
		r.reportPrepare = true
	}
	n = r.cfg.objects(r.w)
	conc := len(r.workers)
	var done atomic.Int64
	stop := r.status(func(elapsed time.Duration) string {
		return fmt.Sprintf("%5.0fs  preparing: %d/%d objects", elapsed.Seconds(), done.Load(), n)
	})
	defer stop()
	errs := make([]error, conc)
	var wg sync.WaitGroup
	for _, w := range r.workers {
		wg.Go(func() {
			for i := w.id; i < n && ctx.Err() == nil; i += conc {
				var key string
				if r.w == WorkloadList {
					key = fmt.Sprintf("%sw%03d/%08d", r.prefix, w.id, i)
				} else {
					key = w.nextKey()
				}
				size := w.size()
				var until time.Time
				if r.w == WorkloadRetention {
					until = time.Now().Add(r.cfg.LockRetain).Truncate(time.Second)
				}
				op, version := w.putObject(ctx, key, size, until)
				if ctx.Err() != nil {
					return
				}
				if r.reportPrepare {
					w.record(op, true)
				}
				if op.Err != "" {
					errs[w.id] = fmt.Errorf("bench: prepare: put %s: %s", key, op.Err)
					return
				}
				done.Add(1)
				switch r.w {
				case WorkloadRetention:
					w.own = append(w.own, &ownedVersion{key: key, version: version, until: until})
				case WorkloadLegalHold:
					w.own = append(w.own, &ownedVersion{key: key, version: version})
				case WorkloadList:
					w.seq++
				default:
					r.pool.add(key, version, size)
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// runMain runs the load for Warmup+Duration (or until the delete workload
// runs out of objects, or ctx is done) and sets the measured window.
func (r *runner) runMain(ctx context.Context) {
	r.mainStart = r.now()
	r.winFrom = r.mainStart + r.cfg.Warmup
	deadline := r.winFrom + r.cfg.Duration
	if r.cfg.OnMeasure != nil {
		t := time.AfterFunc(r.cfg.Warmup, func() { r.cfg.OnMeasure(r.cfg.Duration) })
		defer t.Stop()
	}
	stop := r.status(r.liveLine)
	var wg sync.WaitGroup
	for _, w := range r.workers {
		wg.Go(func() {
			for ctx.Err() == nil && r.now() < deadline {
				if w.step(ctx) {
					return
				}
			}
		})
	}
	wg.Wait()
	stop()
	r.winTo = min(deadline, r.now())
	// Finish the workers' open multipart uploads? No: an unfinished
	// upload is aborted at clean-up; its parts were measured.
}

// step runs one operation of the workload on worker w and records it. It
// returns true when the worker has nothing left to do.
func (w *worker) step(ctx context.Context) (done bool) {
	r := w.r
	var op Op
	switch r.w {
	case WorkloadPut:
		op, _ = w.putObject(ctx, w.nextKey(), w.size(), time.Time{})
	case WorkloadGet, WorkloadStat:
		e := r.pool.acquire(w.rng)
		if e == nil {
			return true
		}
		if r.w == WorkloadGet {
			op = w.getObject(ctx, e.key, "", e.size)
		} else {
			op = w.statObject(ctx, e.key, "", e.size)
		}
		r.pool.release(e)
	case WorkloadList:
		op = w.list(ctx)
	case WorkloadDelete:
		batch := r.pool.takeN(r.cfg.Batch)
		if len(batch) == 0 {
			return true
		}
		op = w.deleteBatch(ctx, batch)
	case WorkloadMixed, WorkloadVersioned:
		op = w.mixed(ctx)
	case WorkloadMultipart:
		return w.multipartStep(ctx)
	case WorkloadRetention:
		op = w.extendRetention(ctx)
	case WorkloadLegalHold:
		op = w.toggleLegalHold(ctx)
	}
	if ctx.Err() != nil {
		return true // cancelled: the op is an artefact of stopping
	}
	w.record(op, false)
	return false
}

// list lists the worker's own prefix to the end with ListObjectsV2.
func (w *worker) list(ctx context.Context) Op {
	prefix := w.listPrefix
	if prefix == "" {
		prefix = fmt.Sprintf("%sw%03d/", w.r.prefix, w.id)
		w.listPrefix = prefix
	}
	var keys int
	op := w.timed(OpList, 0, func() (err error) {
		keys, err = w.r.c.list(ctx, prefix)
		if err != nil {
			return err
		}
		if keys != w.seq {
			return fmt.Errorf("LIST %s: %d keys, want %d", prefix, keys, w.seq)
		}
		return nil
	})
	op.Objects = keys
	return op
}

// deleteBatch deletes batch with one DeleteObjects.
func (w *worker) deleteBatch(ctx context.Context, batch []*poolEntry) Op {
	keys := make([]string, len(batch))
	for i, e := range batch {
		keys[i] = e.key
	}
	op := w.timed(OpDelete, 0, func() error {
		return w.r.c.deleteKeys(ctx, keys)
	})
	op.Objects = len(batch)
	return op
}

// mixed runs one operation of the mixed or versioned workload, chosen by
// the distribution weights. Versioned puts write new versions of
// existing keys and its reads and deletes address versions.
func (w *worker) mixed(ctx context.Context) Op {
	r := w.r
	c := r.cfg
	versioned := r.w == WorkloadVersioned
	x := w.rng.Float64() * (c.GetDistrib + c.StatDistrib + c.PutDistrib + c.DeleteDistrib)
	switch {
	case x < c.GetDistrib+c.StatDistrib:
		e := r.pool.acquire(w.rng)
		if e == nil {
			break // nothing to read: put instead
		}
		defer r.pool.release(e)
		version := ""
		if versioned {
			version = e.version
		}
		if x < c.GetDistrib {
			return w.getObject(ctx, e.key, version, e.size)
		}
		return w.statObject(ctx, e.key, version, e.size)
	case x >= c.GetDistrib+c.StatDistrib+c.PutDistrib:
		e := r.pool.take(w.rng)
		if e == nil {
			break
		}
		version := ""
		if versioned {
			version = e.version
		}
		return w.deleteObject(ctx, e.key, version)
	}
	key := ""
	if versioned {
		key = r.pool.randomKey(w.rng)
	}
	if key == "" {
		key = w.nextKey()
	}
	size := w.size()
	op, version := w.putObject(ctx, key, size, time.Time{})
	if op.Err == "" {
		r.pool.add(key, version, size)
	}
	return op
}

// multipartStep uploads the next part of the worker's upload, creating
// the upload first and completing it after the last part.
func (w *worker) multipartStep(ctx context.Context) bool {
	r := w.r
	if w.upload == nil {
		key := w.nextKey()
		id, err := r.c.createUpload(ctx, key)
		if ctx.Err() != nil {
			return true
		}
		if err != nil {
			op := Op{Type: OpPutPart, Start: r.now(), Objects: 1, Err: "CreateMultipartUpload: " + errString(err)}
			op.End = op.Start
			w.record(op, false)
			return false
		}
		w.upload = &mpu{key: key, id: id}
		r.mu.Lock()
		r.uploads[w.upload.id] = key
		r.mu.Unlock()
	}
	u := w.upload
	n := len(u.parts) + 1
	body := w.body(r.cfg.PartSize)
	var part uploadedPart
	op := w.timed(OpPutPart, r.cfg.PartSize, func() (err error) {
		part, err = r.c.uploadPart(ctx, u.key, u.id, n, body, r.cfg.PartSize)
		return err
	})
	if ctx.Err() != nil {
		return true
	}
	w.record(op, false)
	if op.Err != "" {
		return false
	}
	u.parts = append(u.parts, part)
	if len(u.parts) < r.cfg.Parts {
		return false
	}
	op = w.timed(OpComplete, 0, func() error {
		return r.c.complete(ctx, u.key, u.id, u.parts)
	})
	if ctx.Err() != nil {
		return true
	}
	w.record(op, false)
	if op.Err == "" {
		r.mu.Lock()
		delete(r.uploads, u.id)
		r.mu.Unlock()
	}
	w.upload = nil // a failed complete is aborted at clean-up
	return false
}

// extendRetention extends the COMPLIANCE retention of one of the worker's
// versions to max(previous + 1 s, now + LockRetain), as backup software
// extends the immutability of blocks it still references.
func (w *worker) extendRetention(ctx context.Context) Op {
	v := w.own[w.rng.IntN(len(w.own))]
	until := v.until.Add(time.Second)
	if u := time.Now().Add(w.r.cfg.LockRetain).Truncate(time.Second); u.After(until) {
		until = u
	}
	op := w.timed(OpRetention, 0, func() error {
		return w.r.c.putRetention(ctx, v.key, v.version, until)
	})
	// Keep the later date either way: on failure the server may or may
	// not have applied it; clean-up asks.
	v.until = until
	v.uncertain = v.uncertain || op.Err != ""
	return op
}

// toggleLegalHold flips the legal hold of one of the worker's versions.
func (w *worker) toggleLegalHold(ctx context.Context) Op {
	v := w.own[w.rng.IntN(len(w.own))]
	op := w.timed(OpLegalHold, 0, func() error {
		return w.r.c.putLegalHold(ctx, v.key, v.version, !v.hold)
	})
	if op.Err == "" {
		v.hold = !v.hold
	} else {
		v.uncertain = true
	}
	return op
}

// optional is nil for "", else a pointer to s.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// status prints line(elapsed) to cfg.Status each second until the
// returned function is called, which clears the line.
func (r *runner) status(line func(elapsed time.Duration) string) (stop func()) {
	if r.cfg.Status == nil {
		return func() {}
	}
	start := time.Now()
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-quit:
				fmt.Fprint(r.cfg.Status, "\r\x1b[K")
				return
			case <-t.C:
				fmt.Fprintf(r.cfg.Status, "\r\x1b[K%s", line(time.Since(start)))
			}
		}
	})
	return func() { close(quit); wg.Wait() }
}

// liveLine is the status line of the main phase: the last second's
// throughput and latency over every operation type.
func (r *runner) liveLine(elapsed time.Duration) string {
	now := r.now()
	from := now - time.Second
	var n int
	var bytes int64
	var lat []time.Duration
	for _, w := range r.workers {
		w.mu.Lock()
		for i := len(w.ops) - 1; i >= 0 && w.ops[i].End >= from; i-- {
			if op := &w.ops[i]; op.Err == "" {
				n += op.Objects
				bytes += op.Bytes
				lat = append(lat, op.End-op.Start)
			}
		}
		w.mu.Unlock()
	}
	phase := ""
	if now < r.winFrom {
		phase = "  (warm-up)"
	}
	s := summarizeDurations(lat)
	return fmt.Sprintf("%s %5.0fs%s  %8.1f obj/s  %8.2f MiB/s  errors %d  p50 %s  p99 %s",
		r.w, elapsed.Seconds(), phase, float64(n), float64(bytes)/(1<<20), r.failed.Load(), fmtDur(s.p50), fmtDur(s.p99))
}

// requests counts the main phase's requests (a DeleteObjects or a LIST
// of many keys is one).
func (r *runner) requests() int {
	var n int
	for _, w := range r.workers {
		w.mu.Lock()
		n += len(w.ops)
		w.mu.Unlock()
	}
	return n
}

// analyze computes the statistics of every operation type.
func (r *runner) analyze() []OpStats {
	var out []OpStats
	if r.reportPrepare {
		var ops []Op
		for _, w := range r.workers {
			ops = append(ops, w.prep...)
		}
		for _, typ := range opTypes(ops) {
			out = append(out, Summarize(typ, ops, r.cfg.Concurrent, Window{Start: r.prepStart, From: r.prepStart, To: r.prepEnd}))
		}
	}
	var ops []Op
	for _, w := range r.workers {
		w.mu.Lock()
		ops = append(ops, w.ops...)
		w.mu.Unlock()
	}
	for _, typ := range opTypes(ops) {
		out = append(out, Summarize(typ, ops, r.cfg.Concurrent, Window{Start: r.mainStart, From: r.winFrom, To: r.winTo}))
	}
	return out
}

// opTypes returns the operation types in ops in a fixed order.
func opTypes(ops []Op) []string {
	seen := map[string]bool{}
	for i := range ops {
		seen[ops[i].Type] = true
	}
	var out []string
	for _, t := range []string{OpPut, OpGet, OpStat, OpList, OpDelete, OpPutPart, OpComplete, OpRetention, OpLegalHold} {
		if seen[t] {
			out = append(out, t)
		}
	}
	return out
}

// thisMachine describes the machine the client runs on.
func thisMachine() Machine {
	return Machine{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, GoVersion: runtime.Version()}
}

// randomName returns n random lower-case letters and digits.
func randomName(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
