package fuzz

// FuzzEngineModel is the model-based deletion-invariant fuzzer for the
// storage engine. Its input is decoded into a sequence of operations
// (puts, deletes, retention and legal-hold changes, bucket configuration,
// clock moves, compaction, crash-and-reopen) that run against the engine and
// against a small in-memory model of S3 Object Lock semantics. After every
// operation the engine must agree with the model: the same outcome (nil or
// the same sentinel error), the same versions in the same order with the
// same lock state, and every version the model holds must read back
// byte-identical. The model only records what the engine acknowledged, so a
// crash clone that loses an acknowledged write, or a compaction that drops a
// retained version, shows up as a mismatch.
//
// Input layout: one header byte, then 4-byte operations [kind a b c]. The
// kind byte selects through opTable (weighted); a, b and c are decoded per
// kind as documented on opKind. Missing bytes read as zero.

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/wormstore/wormstore/engine"
)

// opKind is one kind of model operation. The parameter bytes a, b, c mean:
//
//	put, overwrite   a: bit0 bucket, bits1-2 key (overwrite: index among
//	                    keys with a live latest version), bits3-5 mode
//	                    (none×3, GOV, COMP, GOV, COMP, BOGUS), bit6 legal
//	                    hold, bit7 precondition (with c bit7)
//	                 b: bits0-3 size class, bit4 compressible, bits5-7 seed
//	                 c: bits0-3 retain-until selector, bits4-5 precondition
//	                    (If-None-Match *, If-Match latest, If-Match wrong,
//	                    If-Match *), bit6 send lock headers even to the
//	                    plain bucket, bit7 precondition (with a bit7)
//	delete           a: bit0 bucket, bits1-2 key, bit3 bypass (ignored)
//	delete-version   a: bit0 bucket, bits1-2 key, bit3 bypass; b: version
//	retention        a: bits1-2 key, bit3 bypass, bits4-6 mode (GOV, COMP,
//	                    GOV, COMP, none, GOV, COMP, BOGUS), bits0+7 both
//	                    set: plain bucket, else locked
//	                 b: version; c: retain-until selector
//	legal-hold       a: bits1-2 key, bit3 ON, bits0+7 both set: plain
//	                    bucket, else locked; b: version
//	default-ret      a: bits0-2 bucket (7 = plain, else locked), bit3 clear,
//	                    bits4-5 mode (GOV, COMP, GOV, BOGUS); b: period
//	versioning       a: bits0-2 bucket (0 = locked, else plain), bit3
//	                    Suspended
//	advance, rewind  a: bits0-5 count-1, bits6-7 unit (minute, hour, day,
//	                    30 days)
//	compact          (none)
//	reopen           a: bits0-1 (0,1: crash clone of synced data, 2: crash
//	                    clone keeping b% of unsynced data with RNG seed c,
//	                    3: clean Close and Open)
//	crash-point      arms a crash inside the next operation: before its
//	                 nth mutating filesystem call (n = 1 + a&7, or
//	                 1 + a&63 if a >= 192; write, sync,
//	                 create, rename, remove …; after the operation if it
//	                 makes fewer) the filesystem is crash-cloned, keeping
//	                 b% of unsynced data (b < 128: none) with RNG seed c.
//	                 The operation then completes and is checked on the
//	                 live engine; the engine is reopened on the clone and
//	                 must hold either the state before or the state after
//	                 the operation (it was in flight, so either is right).
//	                 Before a reopen, the crash hits inside Close (clean
//	                 reopen) or inside recovery (crash reopen: the store
//	                 is then recovered a second time). Advance and rewind
//	                 disarm it.
type opKind uint8

const (
	opPut opKind = iota
	opOverwrite
	opDelete
	opDeleteVersion
	opRetention
	opLegalHold
	opDefaultRetention
	opVersioning
	opAdvance
	opRewind
	opCompact
	opReopen
	opCrashPoint
	numOpKinds
)

var opNames = [numOpKinds]string{"put", "overwrite", "delete", "delete-version", "retention",
	"legal-hold", "default-retention", "versioning", "advance", "rewind", "compact", "reopen", "crash-point"}

func (k opKind) String() string {
	if k < numOpKinds {
		return opNames[k]
	}
	return fmt.Sprintf("op(%d)", k)
}

// opTable maps an op's first byte (mod 32) to its kind; the repetition is
// the weight.
var opTable = [32]opKind{
	opPut, opPut, opPut, opPut, opOverwrite, opOverwrite,
	opDelete, opDelete, opDelete,
	opDeleteVersion, opDeleteVersion, opDeleteVersion, opDeleteVersion,
	opRetention, opRetention, opRetention, opRetention, opRetention,
	opLegalHold, opLegalHold, opLegalHold,
	opDefaultRetention, opDefaultRetention,
	opVersioning, opVersioning,
	opAdvance, opAdvance, opAdvance,
	opRewind,
	opCompact,
	opReopen,
	opCrashPoint,
}

const (
	opBytes = 4 // bytes per encoded operation
	// modelMaxOps bounds one run; longer inputs are truncated.
	modelMaxOps = 256
	// modelMaxReopens and modelMaxCompactions bound the expensive ops per
	// run; further ones are skipped (logged as such).
	modelMaxReopens     = 8
	modelMaxCompactions = 12
)

// Buckets and keys. The keys collide on prefixes and include a NUL byte to
// exercise the index key escaping.
const (
	bucketLocked = "locked"
	bucketPlain  = "plain"
	numKeys      = 4
)

var (
	modelKeys = [numKeys]string{"a", "a\x00", "a/b", "b"}
	// badVersionID is malformed (not 16 hex digits).
	badVersionID = "not-a-version"
)

var (
	modeTablePut       = [8]engine.Mode{"", "", "", engine.ModeGovernance, engine.ModeCompliance, engine.ModeGovernance, engine.ModeCompliance, "BOGUS"}
	modeTableRetention = [8]engine.Mode{engine.ModeGovernance, engine.ModeCompliance, engine.ModeGovernance, engine.ModeCompliance, "", engine.ModeGovernance, engine.ModeCompliance, "BOGUS"}
	modeTableDefault   = [4]engine.Mode{engine.ModeGovernance, engine.ModeCompliance, engine.ModeGovernance, "BOGUS"}
	sizeTable          = [16]int{0, 1, 17, 100, 1000, 4095, 4096, 4097, 5000, 8192, 9000, 12000, 16384, 20000, 33000, 300}
	unitTable          = [4]time.Duration{time.Minute, time.Hour, 24 * time.Hour, 30 * 24 * time.Hour}
	// periodTable holds default retention periods {days, years}; the last
	// four are invalid.
	periodTable = [12][2]int{{1, 0}, {7, 0}, {30, 0}, {0, 1}, {2, 0}, {365, 0}, {0, 2}, {3, 0},
		{0, 0}, {36501, 0}, {1, 1}, {0, 101}}
)

// modelEpoch is the fake clock's start.
var modelEpoch = time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)

// optionVariant returns the engine options for header variant v. All use
// small segments so that segments seal, WAL files rotate and compaction has
// work.
func optionVariant(v byte) (segSize int64, blockSize int, walSize int64) {
	switch v & 3 {
	case 1:
		return 16 << 10, 4 << 10, 4 << 10
	case 2:
		return 64 << 10, 8 << 10, 16 << 10
	case 3:
		return 256 << 10, 16 << 10, 64 << 10
	}
	return 64 << 10, 4 << 10, 16 << 10
}

// mVersion is the model of one version or delete marker.
type mVersion struct {
	id      string // as the engine reported it ("null" for null versions)
	null    bool
	dm      bool
	data    []byte
	etag    string
	modTime time.Time
	lock    engine.LockState
}

// mBucket is the model of one bucket.
type mBucket struct {
	name       string
	lock       bool
	versioning engine.Versioning
	def        *engine.DefaultRetention
	keys       [numKeys][]*mVersion // newest first
}

func (b *mBucket) nullVersion(k int) (int, *mVersion) {
	for i, v := range b.keys[k] {
		if v.null {
			return i, v
		}
	}
	return -1, nil
}

// modelHarness runs one operation sequence against an engine and the model.
type modelHarness struct {
	t   testing.TB
	ctx context.Context

	mem   *vfs.MemFS     // the current filesystem (crash clones replace it)
	inj   *crashInjector // sees every call to mem; takes crash-point clones
	opts  engine.Options
	e     *engine.Engine
	clock atomic.Int64 // fake clock, unix ns; read by the engine

	buckets [2]*mBucket
	// hwm is the engine's in-memory judged-time high-water mark as the
	// model predicts it: max of the clock at every judging call.
	hwm time.Time
	// durableLo and durableHi bound the high-water mark the engine must
	// recover after a crash: at least the time of every acknowledged
	// record (and of the last clean Close), at most that plus the times of
	// compaction records, which the model cannot observe.
	durableLo, durableHi time.Time
	// acked holds every non-null version id the engine acknowledged
	// ("bucket/key/id"); an id must never be handed out twice (unless a
	// crash inside the operation that made it rolled it back). pool lists
	// them for stale-id operations.
	acked map[string]bool
	pool  []string

	log      []string
	outcomes map[string]int // op outcome → count, for coverage logs
	opIndex  int
	reopens  int
	compacts int
}

func (h *modelHarness) now() time.Time { return time.Unix(0, h.clock.Load()).UTC() }

func (h *modelHarness) setClock(t time.Time) { h.clock.Store(t.UnixNano()) }

// peek is the time the engine will judge the next mutation at.
func (h *modelHarness) peek() time.Time { return laterOf(h.hwm, h.now()) }

// judge models a judging engine call: the high-water mark advances to the
// clock and the judged time is returned.
func (h *modelHarness) judge() time.Time {
	h.hwm = h.peek()
	return h.hwm
}

// acknowledge records that a mutation judged at t is durable.
func (h *modelHarness) acknowledge(t time.Time) {
	h.durableLo = laterOf(h.durableLo, t)
	h.durableHi = laterOf(h.durableHi, t)
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (h *modelHarness) logf(format string, args ...any) {
	h.log = append(h.log, fmt.Sprintf("#%03d ", h.opIndex)+fmt.Sprintf(format, args...))
}

// tally counts an operation outcome for the coverage summary.
func (h *modelHarness) tally(kind opKind, err error) {
	name := "ok"
	if err != nil {
		name = "other error"
		for _, s := range []error{engine.ErrObjectLocked, engine.ErrInvalidRetention, engine.ErrLockNotEnabled,
			engine.ErrNoSuchKey, engine.ErrNoSuchVersion, engine.ErrInvalidVersionID, engine.ErrMethodNotAllowed,
			engine.ErrInvalidBucketState, engine.ErrPreconditionFailed} {
			if errors.Is(err, s) {
				name = strings.TrimPrefix(s.Error(), "engine: ")
				break
			}
		}
	}
	h.tallyString(kind.String() + ": " + name)
}

func (h *modelHarness) tallyString(s string) {
	if h.outcomes == nil {
		h.outcomes = map[string]int{}
	}
	h.outcomes[s]++
}

// kindOf recovers the op kind from a description's first word.
func kindOf(desc string) opKind {
	w, _, _ := strings.Cut(desc, " ")
	for k, n := range opNames {
		if n == w {
			return opKind(k)
		}
	}
	return numOpKinds
}

func (h *modelHarness) fatalf(format string, args ...any) {
	h.t.Helper()
	h.t.Fatalf("%s\nop log (clock %s, hwm %s):\n%s", fmt.Sprintf(format, args...),
		h.now().Format(time.RFC3339), h.hwm.Format(time.RFC3339), strings.Join(h.log, "\n"))
}

// runEngineModel decodes input and runs it. It fails t on any divergence
// and returns the count of each operation outcome.
func runEngineModel(t testing.TB, input []byte) map[string]int {
	t.Helper()
	var header byte
	if len(input) > 0 {
		header, input = input[0], input[1:]
	}
	segSize, blockSize, walSize := optionVariant(header)
	h := &modelHarness{t: t, ctx: context.Background(), mem: vfs.NewCrashableMem(), inj: &crashInjector{}, acked: map[string]bool{}}
	h.setClock(modelEpoch)
	h.opts = engine.Options{
		Dir:                  "/data",
		Clock:                h.now,
		SegmentSize:          segSize,
		BlockSize:            blockSize,
		WALSegmentSize:       walSize,
		MinPartSize:          8 << 10,
		CompactionInterval:   -1,
		ClockPersistInterval: 1000 * time.Hour,
	}
	h.logf("open seg=%d block=%d wal=%d", segSize, blockSize, walSize)
	h.open()
	defer func() {
		if h.e != nil {
			h.e.Close()
		}
	}()
	h.buckets[0] = &mBucket{name: bucketLocked, lock: true, versioning: engine.VersioningEnabled}
	h.buckets[1] = &mBucket{name: bucketPlain}
	for _, b := range h.buckets {
		now := h.judge()
		if err := h.e.CreateBucket(h.ctx, b.name, engine.CreateBucketOptions{ObjectLock: b.lock}); err != nil {
			h.fatalf("create bucket %s: %v", b.name, err)
		}
		h.acknowledge(now)
	}
	var armed *crashPoint
	for i := 0; i < len(input) && i/opBytes < modelMaxOps; i += opBytes {
		var op [opBytes]byte
		copy(op[:], input[i:])
		h.opIndex = i/opBytes + 1
		kind := opTable[op[0]%32]
		switch {
		case kind == opCrashPoint:
			if h.reopens >= modelMaxReopens {
				h.logf("crash-point skipped (budget)")
				continue
			}
			h.reopens++
			armed = &crashPoint{n: 1 + int(op[1]&7)}
			if op[1] >= 192 {
				armed.n = 1 + int(op[1]&63)
			}
			if op[2] >= 128 {
				armed.cfg.UnsyncedDataPercent = int(op[2]-128) * 100 / 127
				armed.cfg.RNG = rand.New(rand.NewPCG(uint64(op[3]), uint64(h.opIndex)))
			}
			h.logf("crash-point armed: before mutating fs call %d of the next op, unsynced=%d%%", armed.n, armed.cfg.UnsyncedDataPercent)
			continue
		case armed != nil && kind == opReopen:
			h.opReopen(op[1], op[2], op[3], armed)
			h.check(true)
			armed = nil
			continue
		case armed != nil && kind != opAdvance && kind != opRewind:
			pre := h.save()
			h.inj.arm(armed.n, armed.cfg)
			full := h.step(kind, op[1], op[2], op[3])
			h.check(full)
			h.crashRecover(h.inj.disarm(), armed.cfg, pre)
			armed = nil
			continue
		}
		full := h.step(kind, op[1], op[2], op[3])
		h.check(full)
	}
	h.opIndex++
	h.logf("end")
	h.check(true)
	if err := h.e.Close(); err != nil {
		h.fatalf("close: %v", err)
	}
	h.e = nil
	if *engineModelLog {
		t.Logf("op log:\n%s", strings.Join(h.log, "\n"))
	}
	return h.outcomes
}

func (h *modelHarness) open() {
	h.t.Helper()
	opts := h.opts
	h.inj.setFS(h.mem)
	opts.FS = errorfs.Wrap(h.mem, h.inj)
	e, err := engine.Open(h.ctx, opts)
	var behind *engine.WALBehindError
	if errors.As(err, &behind) && behind.CleanLSN <= behind.WALLast {
		// A crash left the index ahead of the WAL (Pebble flushed records
		// whose WAL batch was never synced): Open refuses, the operator's
		// explicit recovery rebuilds, and the model check that follows
		// proves nothing acknowledged was lost.
		h.logf("open refused, index ahead of the wal: %v; recovering explicitly", err)
		h.tallyString("reopen index ahead")
		if _, err := engine.Recover(h.ctx, opts, engine.RecoverOptions{AcceptIndexAhead: true}); err != nil {
			h.fatalf("recover: %v", err)
		}
		e, err = engine.Open(h.ctx, opts)
	}
	if err != nil {
		h.fatalf("open: %v", err)
	}
	h.e = e
}

// step runs one operation and reports whether a full check (all data,
// Verify) should follow.
func (h *modelHarness) step(kind opKind, a, b, c byte) (full bool) {
	switch kind {
	case opPut, opOverwrite:
		h.opPut(kind, a, b, c)
	case opDelete:
		h.opDelete(a)
	case opDeleteVersion:
		h.opDeleteVersion(a, b)
	case opRetention:
		h.opRetention(a, b, c)
	case opLegalHold:
		h.opLegalHold(a, b)
	case opDefaultRetention:
		h.opDefaultRetention(a, b)
	case opVersioning:
		h.opVersioning(a)
	case opAdvance, opRewind:
		d := time.Duration(1+int(a&63)) * unitTable[a>>6]
		if kind == opRewind {
			d = -d
		}
		h.setClock(h.now().Add(d))
		h.logf("%s %s → clock %s", kind, d, h.now().Format(time.RFC3339))
	case opCompact:
		if h.compacts >= modelMaxCompactions {
			h.logf("compact skipped (budget)")
			return false
		}
		h.compacts++
		return h.opCompact()
	case opReopen:
		if h.reopens >= modelMaxReopens {
			h.logf("reopen skipped (budget)")
			return false
		}
		h.reopens++
		h.opReopen(a, b, c, nil)
		return true
	}
	return false
}

func (h *modelHarness) bucketKey(a byte) (*mBucket, int) {
	return h.buckets[a&1], int(a>>1) & 3
}

// lockBucketKey is bucketKey for lock operations, which go to the plain
// bucket only a quarter of the time.
func (h *modelHarness) lockBucketKey(a byte) (*mBucket, int) {
	if a&0x81 == 0x81 {
		return h.buckets[1], int(a>>1) & 3
	}
	return h.buckets[0], int(a>>1) & 3
}

// untilFor decodes a retain-until selector relative to the judged time now
// and, for selectors 9-12, to old (the current retain-until, if any).
func untilFor(sel byte, now time.Time, old engine.Retention) time.Time {
	base := old.Until
	if old.IsZero() {
		base = now.Add(time.Hour)
	}
	switch sel & 15 {
	case 0:
		return now.Add(-time.Hour)
	case 1:
		return now
	case 2:
		return now.Add(time.Second)
	case 3:
		return now.Add(time.Minute)
	case 4:
		return now.Add(time.Hour)
	case 5:
		return now.Add(24 * time.Hour)
	case 6:
		return now.Add(7 * 24 * time.Hour)
	case 7:
		return now.Add(30 * 24 * time.Hour)
	case 8:
		return now.Add(365 * 24 * time.Hour)
	case 9:
		return base.Add(-time.Second)
	case 10:
		return base
	case 11:
		return base.Add(time.Hour)
	case 12:
		return base.Add(24 * time.Hour)
	case 13:
		return now.Add(2 * time.Hour)
	case 14:
		return now.Add(3 * 24 * time.Hour)
	}
	return now.AddDate(10, 0, 0)
}

// payload returns deterministic data for op index i and selector b.
func payload(i int, b byte) []byte {
	n := sizeTable[b&15]
	out := make([]byte, n)
	x := uint64(i)*0x9E3779B97F4A7C15 + uint64(b) + 1
	words := []string{"alpha ", "beta ", "gamma ", "worm ", "retention ", "hold "}
	if b&16 != 0 {
		var w bytes.Buffer
		for j := 0; w.Len() < n; j++ {
			w.WriteString(words[(uint64(j)*7+x)%uint64(len(words))])
		}
		copy(out, w.Bytes())
		return out
	}
	for j := range out {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		out[j] = byte(x)
	}
	return out
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// checkErr compares an operation's error with the model's prediction.
func (h *modelHarness) checkErr(what string, got, want error) {
	h.t.Helper()
	if err := errDiff(what, got, want); err != nil {
		h.fatalf("%v", err)
	}
}

// checkDeleteAllowed is the model's deletion rule (S3 Object Lock): a legal
// hold blocks removal outright; active COMPLIANCE retention blocks it for
// everyone; active GOVERNANCE retention only yields to bypass.
func checkDeleteAllowed(now time.Time, l engine.LockState, bypass bool) error {
	if l.LegalHold {
		return engine.ErrObjectLocked
	}
	r := l.Retention
	if !(r.Mode.Valid() && now.Before(r.Until)) {
		return nil
	}
	if r.Mode == engine.ModeCompliance || !bypass {
		return engine.ErrObjectLocked
	}
	return nil
}

// removeVersion drops version i of key k, asserting (independently of the
// prediction that led here) that the removal respects Object Lock.
func (h *modelHarness) removeVersion(b *mBucket, k, i int, now time.Time, bypass bool) {
	v := b.keys[k][i]
	if v.lock.LegalHold {
		h.fatalf("model bug: removing %s/%s %s under legal hold", b.name, modelKeys[k], v.id)
	}
	if r := v.lock.Retention; r.Mode.Valid() && now.Before(r.Until) && (r.Mode == engine.ModeCompliance || !bypass) {
		h.fatalf("model bug: removing %s/%s %s under %s retention until %s", b.name, modelKeys[k], v.id, r.Mode, r.Until)
	}
	b.keys[k] = slices.Delete(b.keys[k], i, i+1)
}

// addVersion records an acknowledged new version, checking its id.
func (h *modelHarness) addVersion(b *mBucket, k int, v *mVersion) {
	if v.null {
		if v.id != engine.NullVersionID {
			h.fatalf("%s/%s: null version got id %q", b.name, modelKeys[k], v.id)
		}
	} else {
		if len(v.id) != 16 || v.id == engine.NullVersionID {
			h.fatalf("%s/%s: malformed version id %q", b.name, modelKeys[k], v.id)
		}
		ref := b.name + "/" + modelKeys[k] + "/" + v.id
		if h.acked[ref] {
			h.fatalf("%s/%s: version id %s reused", b.name, modelKeys[k], v.id)
		}
		h.acked[ref] = true
		h.pool = append(h.pool, v.id)
	}
	b.keys[k] = slices.Insert(b.keys[k], 0, v)
}

func (h *modelHarness) opPut(kind opKind, a, bsel, c byte) {
	b, k := h.bucketKey(a)
	if kind == opOverwrite {
		var live []int
		for i := range numKeys {
			if vs := b.keys[i]; len(vs) > 0 && !vs[0].dm {
				live = append(live, i)
			}
		}
		if len(live) > 0 {
			k = live[k%len(live)]
		}
	}
	key := modelKeys[k]
	data := payload(h.opIndex, bsel)
	var popts engine.PutOptions
	popts.Size = int64(len(data))
	now := h.judge()
	desc := fmt.Sprintf("%s %s/%q size=%d", kind, b.name, key, len(data))
	// On a bucket without Object Lock, lock headers (refused) are sent only
	// when c bit 6 is set, so that most puts there succeed.
	lockHeaders := b.lock || c&0x40 != 0
	if mode := modeTablePut[(a>>3)&7]; mode != "" && lockHeaders {
		var old engine.Retention
		if vs := b.keys[k]; len(vs) > 0 {
			old = vs[0].lock.Retention
		}
		r := engine.Retention{Mode: mode, Until: untilFor(c, now, old)}
		popts.Retention = &r
		desc += fmt.Sprintf(" ret=%s@%s", mode, r.Until.Format(time.RFC3339))
	}
	if a&0x40 != 0 && lockHeaders {
		popts.LegalHold = true
		desc += " hold"
	}
	var latest *mVersion
	if vs := b.keys[k]; len(vs) > 0 {
		latest = vs[0]
	}
	if a&0x80 != 0 && c&0x80 != 0 {
		switch (c >> 4) & 3 {
		case 0:
			popts.IfNoneMatch = "*"
		case 1:
			popts.IfMatch = `"` + md5hex(nil) + `"`
			if latest != nil && !latest.dm {
				popts.IfMatch = `"` + latest.etag + `"`
			}
		case 2:
			popts.IfMatch = "0123456789abcdef0123456789abcdef"
		case 3:
			popts.IfMatch = "*"
		}
		desc += fmt.Sprintf(" if-none-match=%q if-match=%q", popts.IfNoneMatch, popts.IfMatch)
	}

	// Prediction.
	var want error
	live := latest != nil && !latest.dm
	nullIdx := -1
	switch {
	case (popts.Retention != nil || popts.LegalHold) && !b.lock:
		want = engine.ErrLockNotEnabled
	case popts.Retention != nil && !popts.Retention.Mode.Valid():
		want = engine.ErrInvalidRetention
	case popts.Retention != nil && !now.Before(popts.Retention.Until):
		want = engine.ErrInvalidRetention
	case popts.IfNoneMatch == "*" && live:
		want = engine.ErrPreconditionFailed
	case popts.IfMatch != "" && !live:
		want = engine.ErrNoSuchKey
	case popts.IfMatch != "" && popts.IfMatch != "*" && strings.Trim(popts.IfMatch, `"`) != latest.etag:
		want = engine.ErrPreconditionFailed
	case b.versioning != engine.VersioningEnabled:
		var old *mVersion
		nullIdx, old = b.nullVersion(k)
		if old != nil {
			want = checkDeleteAllowed(now, old.lock, false)
		}
	}

	info, err := h.e.PutObject(h.ctx, b.name, key, bytes.NewReader(data), popts)
	h.logf("%s → %s", desc, resultString(err, info))
	h.tally(kind, err)
	h.checkErr(desc, err, want)
	if err != nil {
		return
	}
	h.acknowledge(now)
	v := &mVersion{id: info.VersionID, null: b.versioning != engine.VersioningEnabled, data: data, etag: md5hex(data), modTime: now}
	switch {
	case popts.Retention != nil:
		v.lock.Retention = *popts.Retention
	case b.lock && b.def != nil:
		v.lock.Retention = engine.Retention{Mode: b.def.Mode, Until: now.AddDate(b.def.Years, 0, b.def.Days).UTC()}
	}
	if popts.LegalHold {
		v.lock.LegalHold, v.lock.LegalHoldSet = true, true
	}
	if nullIdx >= 0 {
		h.removeVersion(b, k, nullIdx, now, false)
	}
	h.addVersion(b, k, v)
	if err := infoDiff("put result", b, k, info, v, true); err != nil {
		h.fatalf("%v", err)
	}
}

func resultString(err error, info *engine.ObjectInfo) string {
	if err != nil {
		return "err " + err.Error()
	}
	if info != nil {
		return "ok " + info.VersionID
	}
	return "ok"
}

func (h *modelHarness) opDelete(a byte) {
	b, k := h.bucketKey(a)
	key := modelKeys[k]
	bypass := a&8 != 0
	now := h.judge()
	desc := fmt.Sprintf("delete %s/%q bypass=%v (%s)", b.name, key, bypass, b.versioning)

	var want error
	nullIdx, old := b.nullVersion(k)
	wantRes := engine.DeleteResult{DeleteMarker: true, Removed: true}
	switch b.versioning {
	case engine.VersioningEnabled:
	case engine.VersioningSuspended:
		wantRes.VersionID = engine.NullVersionID
		if old != nil {
			want = checkDeleteAllowed(now, old.lock, false)
		}
	default:
		wantRes = engine.DeleteResult{Removed: old != nil}
		if old != nil {
			want = checkDeleteAllowed(now, old.lock, false)
		}
	}

	res, err := h.e.DeleteObject(h.ctx, b.name, key, engine.DeleteOptions{Bypass: bypass})
	if err == nil {
		h.logf("%s → ok %+v", desc, *res)
	} else {
		h.logf("%s → err %v", desc, err)
	}
	h.tally(kindOf(desc), err)
	h.checkErr(desc, err, want)
	if err != nil {
		return
	}
	if b.versioning == engine.VersioningEnabled {
		wantRes.VersionID = res.VersionID
	}
	if *res != wantRes {
		h.fatalf("%s: got result %+v, want %+v", desc, *res, wantRes)
	}
	if !res.Removed {
		return // nothing was logged
	}
	h.acknowledge(now)
	if nullIdx >= 0 && b.versioning != engine.VersioningEnabled {
		h.removeVersion(b, k, nullIdx, now, false)
	}
	if b.versioning != engine.VersioningOff {
		h.addVersion(b, k, &mVersion{id: res.VersionID, null: b.versioning == engine.VersioningSuspended, dm: true, modTime: now})
	}
}

// pickVersion decodes a version selector for key k of b. Low nibble: 0-1
// the latest ("", if allowed), 2-10 one of the key's versions, 11-12
// "null", 13-14 an id from the pool of every id ever acknowledged (stale or
// another key's), 15 a malformed id. The high nibble indexes the list.
func (h *modelHarness) pickVersion(sel byte, b *mBucket, k int, allowLatest bool) string {
	vs := b.keys[k]
	i := int(sel >> 4)
	switch s := sel & 15; {
	case s <= 1 && allowLatest:
		return ""
	case s == 11 || s == 12:
		return engine.NullVersionID
	case (s == 13 || s == 14) && len(h.pool) > 0:
		return h.pool[i*len(h.pool)/16]
	case s == 15:
		return badVersionID
	case len(vs) > 0:
		return vs[i%len(vs)].id
	}
	return engine.NullVersionID
}

// resolve models engine version resolution: "" is the latest version.
func (b *mBucket) resolve(k int, vid string) (int, error) {
	vs := b.keys[k]
	switch vid {
	case "":
		if len(vs) == 0 {
			return -1, engine.ErrNoSuchKey
		}
		return 0, nil
	case engine.NullVersionID:
		if i, _ := b.nullVersion(k); i >= 0 {
			return i, nil
		}
		return -1, engine.ErrNoSuchVersion
	}
	if len(vid) != 16 {
		return -1, engine.ErrInvalidVersionID
	}
	for i, v := range vs {
		if v.id == vid {
			return i, nil
		}
	}
	return -1, engine.ErrNoSuchVersion
}

func (h *modelHarness) opDeleteVersion(a, sel byte) {
	b, k := h.bucketKey(a)
	key := modelKeys[k]
	bypass := a&8 != 0
	vid := h.pickVersion(sel, b, k, false)
	now := h.judge()
	desc := fmt.Sprintf("delete-version %s/%q %s bypass=%v", b.name, key, vid, bypass)
	i, want := b.resolve(k, vid)
	if want == nil {
		want = checkDeleteAllowed(now, b.keys[k][i].lock, bypass)
	}
	res, err := h.e.DeleteObject(h.ctx, b.name, key, engine.DeleteOptions{VersionID: vid, Bypass: bypass})
	if err == nil {
		h.logf("%s → ok %+v", desc, *res)
	} else {
		h.logf("%s → err %v", desc, err)
	}
	h.tally(kindOf(desc), err)
	h.checkErr(desc, err, want)
	if err != nil {
		return
	}
	v := b.keys[k][i]
	if wantRes := (engine.DeleteResult{VersionID: v.id, DeleteMarker: v.dm, Removed: true}); *res != wantRes {
		h.fatalf("%s: got result %+v, want %+v", desc, *res, wantRes)
	}
	h.acknowledge(now)
	h.removeVersion(b, k, i, now, bypass)
}

// lockTarget models the engine's resolution of a lock call's target.
func (b *mBucket) lockTarget(k int, vid string) (int, error) {
	if !b.lock {
		return -1, engine.ErrLockNotEnabled
	}
	i, err := b.resolve(k, vid)
	if err != nil {
		return -1, err
	}
	if b.keys[k][i].dm {
		return -1, engine.ErrMethodNotAllowed
	}
	return i, nil
}

// checkRetentionChange is the model's rule for changing retention from old
// to next at now (S3 Object Lock as the engine documents it): COMPLIANCE
// may only be extended, never weakened or removed, bypass or not;
// GOVERNANCE may be extended in GOVERNANCE mode freely, and shortened,
// removed or changed to COMPLIANCE (at any date) only with bypass, as AWS
// answers 403 AccessDenied otherwise. Expired retention may be replaced by
// anything. A new date must lie in the future and in a four-digit year.
func checkRetentionChange(now time.Time, old, next engine.Retention, bypass bool) error {
	if next.Mode != "" && !next.Mode.Valid() {
		return engine.ErrInvalidRetention
	}
	if next.Mode != "" && !now.Before(next.Until) {
		return engine.ErrInvalidRetention
	}
	if !(old.Mode.Valid() && now.Before(old.Until)) {
		return nil
	}
	extends := next.Mode.Valid() && !next.Until.Before(old.Until)
	switch old.Mode {
	case engine.ModeCompliance:
		if next.Mode != engine.ModeCompliance || !extends {
			return engine.ErrObjectLocked
		}
	case engine.ModeGovernance:
		if !(extends && next.Mode == engine.ModeGovernance) && !bypass {
			return engine.ErrObjectLocked
		}
	}
	return nil
}

func (h *modelHarness) opRetention(a, sel, c byte) {
	b, k := h.lockBucketKey(a)
	key := modelKeys[k]
	bypass := a&8 != 0
	vid := h.pickVersion(sel, b, k, true)
	now := h.judge()
	mode := modeTableRetention[(a>>4)&7]
	i, want := b.lockTarget(k, vid)
	var old engine.LockState
	if want == nil {
		old = b.keys[k][i].lock
	}
	ret := engine.Retention{Mode: mode}
	if mode != "" {
		ret.Until = untilFor(c, now, old.Retention)
	}
	desc := fmt.Sprintf("retention %s/%q %q %s@%s bypass=%v", b.name, key, vid, mode, ret.Until.Format(time.RFC3339), bypass)
	if want == nil {
		want = checkRetentionChange(now, old.Retention, ret, bypass)
	}
	prev, next, err := h.e.PutObjectRetention(h.ctx, b.name, key, vid, ret, bypass)
	h.logf("%s → %s", desc, resultString(err, nil))
	h.tally(kindOf(desc), err)
	h.checkErr(desc, err, want)
	if err != nil {
		h.checkDeleteMarkerErr(desc, err, b, k, vid)
		return
	}
	h.acknowledge(now)
	v := b.keys[k][i]
	if !lockEqual(prev, v.lock) {
		h.fatalf("%s: got prev %+v, want %+v", desc, prev, v.lock)
	}
	v.lock.Retention = ret
	if !lockEqual(next, v.lock) {
		h.fatalf("%s: got next %+v, want %+v", desc, next, v.lock)
	}
}

// checkDeleteMarkerErr checks that a lock call aimed at a delete marker
// names it.
func (h *modelHarness) checkDeleteMarkerErr(desc string, err error, b *mBucket, k int, vid string) {
	h.t.Helper()
	if !errors.Is(err, engine.ErrMethodNotAllowed) {
		return
	}
	var dme *engine.DeleteMarkerError
	i, _ := b.resolve(k, vid)
	if !errors.As(err, &dme) || i < 0 || dme.VersionID != b.keys[k][i].id {
		h.fatalf("%s: got %v, want a DeleteMarkerError naming the marker", desc, err)
	}
}

func (h *modelHarness) opLegalHold(a, sel byte) {
	b, k := h.lockBucketKey(a)
	key := modelKeys[k]
	on := a&8 != 0
	vid := h.pickVersion(sel, b, k, true)
	now := h.judge()
	desc := fmt.Sprintf("legal-hold %s/%q %q on=%v", b.name, key, vid, on)
	i, want := b.lockTarget(k, vid)
	prev, err := h.e.PutObjectLegalHold(h.ctx, b.name, key, vid, on)
	h.logf("%s → %s", desc, resultString(err, nil))
	h.tally(kindOf(desc), err)
	h.checkErr(desc, err, want)
	if err != nil {
		h.checkDeleteMarkerErr(desc, err, b, k, vid)
		return
	}
	h.acknowledge(now)
	v := b.keys[k][i]
	if !lockEqual(prev, v.lock) {
		h.fatalf("%s: got prev %+v, want %+v", desc, prev, v.lock)
	}
	v.lock.LegalHold, v.lock.LegalHoldSet = on, true
}

func validDefault(d *engine.DefaultRetention) bool {
	switch {
	case !d.Mode.Valid():
		return false
	case d.Days > 0 && d.Years > 0, d.Days <= 0 && d.Years <= 0:
		return false
	case d.Days > 36500 || d.Years > 100:
		return false
	}
	return true
}

func (h *modelHarness) opDefaultRetention(a, sel byte) {
	b := h.buckets[0]
	if a&7 == 7 {
		b = h.buckets[1]
	}
	var def *engine.DefaultRetention
	if a&8 == 0 {
		p := periodTable[int(sel)%len(periodTable)]
		def = &engine.DefaultRetention{Mode: modeTableDefault[(a>>4)&3], Days: p[0], Years: p[1]}
	}
	desc := fmt.Sprintf("default-retention %s %+v", b.name, def)
	var want error
	var now time.Time
	if def != nil && !validDefault(def) {
		want = engine.ErrInvalidRetention // refused before the clock is consulted
	} else {
		now = h.judge()
		if !b.lock && b.versioning != engine.VersioningEnabled {
			want = engine.ErrInvalidBucketState
		}
	}
	err := h.e.SetObjectLockConfig(h.ctx, b.name, def)
	h.logf("%s → %s", desc, resultString(err, nil))
	h.tally(kindOf(desc), err)
	h.checkErr(desc, err, want)
	if err != nil {
		return
	}
	h.acknowledge(now)
	b.lock, b.def = true, def
}

func (h *modelHarness) opVersioning(a byte) {
	b := h.buckets[1]
	if a&7 == 0 {
		b = h.buckets[0]
	}
	state := engine.VersioningEnabled
	if a&8 != 0 {
		state = engine.VersioningSuspended
	}
	now := h.judge()
	desc := fmt.Sprintf("versioning %s %s", b.name, state)
	var want error
	if b.lock && state != engine.VersioningEnabled {
		want = engine.ErrInvalidBucketState
	}
	err := h.e.SetVersioning(h.ctx, b.name, state)
	h.logf("%s → %s", desc, resultString(err, nil))
	h.tally(kindOf(desc), err)
	h.checkErr(desc, err, want)
	if err != nil {
		return
	}
	h.acknowledge(now)
	b.versioning = state
}

func (h *modelHarness) opCompact() (full bool) {
	res, err := h.e.Compact(h.ctx, engine.CompactOptions{SealActive: true, MinGarbage: 0})
	if err != nil {
		h.logf("compact → err %v", err)
		h.fatalf("compact: %v", err)
	}
	h.logf("compact → %+v", *res)
	if res.SegmentsRemoved > 0 {
		h.tallyString("compact removed segments")
	} else {
		h.tally(opCompact, nil)
	}
	// A relocation record, if one was written, was judged now and may be
	// what a later crash recovers the high-water mark from. Engine.Now
	// judges too, which makes the in-memory mark exact either way.
	now := h.judge()
	h.durableHi = laterOf(h.durableHi, now)
	if got := h.e.Now(); !got.Equal(now) {
		h.fatalf("after compact: engine judges at %s, want %s", got, now)
	}
	return true
}

// opReopen closes and reopens the engine: cleanly, or on a crash clone.
// With point set (a crash-point preceded it), a clean close is crashed
// inside Close, and a crash reopen is crashed again inside recovery (Open)
// and recovered once more; either way nothing may change.
func (h *modelHarness) opReopen(a, b, c byte, point *crashPoint) {
	lo, hi := h.durableLo, h.durableHi
	switch a & 3 {
	case 3:
		// A clean close persists the high-water mark, judged at close.
		closedAt := h.judge()
		if point != nil {
			h.inj.arm(point.n, point.cfg)
		}
		if err := h.e.Close(); err != nil {
			h.fatalf("close: %v", err)
		}
		h.e = nil
		if clone := h.inj.disarm(); clone != nil {
			h.mem = clone
			h.durableHi = laterOf(h.durableHi, closedAt)
			lo, hi = h.durableLo, h.durableHi
			h.logf("crash inside close, unsynced=%d%%", point.cfg.UnsyncedDataPercent)
			h.tallyString("reopen crash inside close")
			break
		}
		h.acknowledge(closedAt)
		lo, hi = h.durableLo, h.durableHi
		h.logf("close+open")
		h.tallyString("reopen clean")
	default:
		cfg := vfs.CrashCloneCfg{}
		if a&3 == 2 {
			cfg.UnsyncedDataPercent = int(b % 101)
			cfg.RNG = rand.New(rand.NewPCG(uint64(c), uint64(h.opIndex)))
		}
		clone := h.mem.CrashClone(cfg)
		// The old engine keeps running on the old filesystem until closed;
		// nothing it does now reaches the clone.
		if err := h.e.Close(); err != nil {
			h.fatalf("close before crash reopen: %v", err)
		}
		h.e = nil
		h.mem = clone
		h.logf("crash+open unsynced=%d%%", cfg.UnsyncedDataPercent)
		h.tallyString("reopen crash")
		if point == nil {
			break
		}
		h.inj.arm(point.n, point.cfg)
		h.open()
		clone = h.inj.disarm()
		if clone == nil {
			h.logf("recovery made fewer than %d mutating calls", point.n)
			break
		}
		if err := h.e.Close(); err != nil {
			h.fatalf("close after recovery: %v", err)
		}
		h.e = nil
		h.mem = clone
		h.logf("crash inside recovery, unsynced=%d%%: reopened", point.cfg.UnsyncedDataPercent)
		h.tallyString("reopen crash inside recovery")
	}
	if h.e == nil {
		h.open()
	}
	lo, hi = laterOf(lo, h.now()), laterOf(hi, h.now())
	got := h.e.Now()
	if got.Before(lo) || got.After(hi) {
		h.fatalf("after reopen: engine judges at %s, want within [%s, %s] (rewinding the clock must not undo the high-water mark)",
			got.Format(time.RFC3339Nano), lo.Format(time.RFC3339Nano), hi.Format(time.RFC3339Nano))
	}
	h.hwm = got
}

func lockEqual(a, b engine.LockState) bool {
	return a.Retention.Mode == b.Retention.Mode && a.Retention.Until.Equal(b.Retention.Until) &&
		a.LegalHold == b.LegalHold && a.LegalHoldSet == b.LegalHoldSet
}

// infoDiff compares an ObjectInfo with the model's version.
func infoDiff(what string, b *mBucket, k int, got *engine.ObjectInfo, want *mVersion, latest bool) error {
	key := modelKeys[k]
	var problems []string
	if got.Bucket != b.name || got.Key != key {
		problems = append(problems, fmt.Sprintf("object %s/%q, want %s/%q", got.Bucket, got.Key, b.name, key))
	}
	if got.VersionID != want.id {
		problems = append(problems, fmt.Sprintf("version %s, want %s", got.VersionID, want.id))
	}
	if got.IsLatest != latest {
		problems = append(problems, fmt.Sprintf("IsLatest %v, want %v", got.IsLatest, latest))
	}
	if got.DeleteMarker != want.dm {
		problems = append(problems, fmt.Sprintf("DeleteMarker %v, want %v", got.DeleteMarker, want.dm))
	}
	if got.Size != int64(len(want.data)) || got.ETag != want.etag {
		problems = append(problems, fmt.Sprintf("size/etag %d/%s, want %d/%s", got.Size, got.ETag, len(want.data), want.etag))
	}
	if !got.ModTime.Equal(want.modTime) {
		problems = append(problems, fmt.Sprintf("ModTime %s, want %s", got.ModTime.Format(time.RFC3339Nano), want.modTime.Format(time.RFC3339Nano)))
	}
	if !lockEqual(got.Lock, want.lock) {
		problems = append(problems, fmt.Sprintf("lock %+v, want %+v", got.Lock, want.lock))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: %s/%q %s: %s", what, b.name, key, want.id, strings.Join(problems, "; "))
	}
	return nil
}

// errDiff compares an engine error with an expected one (nil: success).
func errDiff(what string, got, want error) error {
	switch {
	case want == nil && got != nil:
		return fmt.Errorf("%s: got error %v, want success", what, got)
	case want != nil && got == nil:
		return fmt.Errorf("%s: got success, want %v", what, want)
	case want != nil && !errors.Is(got, want):
		return fmt.Errorf("%s: got error %v, want %v", what, got, want)
	}
	return nil
}

// check fails the run unless the engine matches the model (see diff).
func (h *modelHarness) check(full bool) {
	h.t.Helper()
	if err := h.diff(full); err != nil {
		h.fatalf("%v", err)
	}
}

// diff compares the engine with the model: every bucket's configuration
// and version list, and GET of every key's latest version. With full, it
// also reads every version by id (data, lock getters) and runs Verify. It
// returns the first difference.
func (h *modelHarness) diff(full bool) error {
	for _, b := range h.buckets {
		bi, err := h.e.Bucket(h.ctx, b.name)
		if err != nil {
			return fmt.Errorf("bucket %s: %w", b.name, err)
		}
		if bi.Versioning != b.versioning || bi.ObjectLock != b.lock || !defaultEqual(bi.DefaultRetention, b.def) {
			return fmt.Errorf("bucket %s: got versioning=%q lock=%v default=%+v, want %q %v %+v",
				b.name, bi.Versioning, bi.ObjectLock, bi.DefaultRetention, b.versioning, b.lock, b.def)
		}
		res, err := h.e.ListVersions(h.ctx, b.name, engine.VersionListOptions{})
		if err != nil {
			return fmt.Errorf("list versions %s: %w", b.name, err)
		}
		if res.IsTruncated {
			return fmt.Errorf("list versions %s: truncated", b.name)
		}
		got := res.Versions
		what := "list versions\n" + describeList(b, res.Versions)
		for _, k := range sortedKeyIndexes() {
			for j, v := range b.keys[k] {
				if len(got) == 0 {
					return fmt.Errorf("%s: missing %q %s (and everything after it)", what, modelKeys[k], v.id)
				}
				if err := infoDiff(what, b, k, &got[0], v, j == 0); err != nil {
					return err
				}
				got = got[1:]
			}
			if err := h.latestDiff(b, k); err != nil {
				return err
			}
			if full {
				for _, v := range b.keys[k] {
					if err := h.versionDiff(b, k, v); err != nil {
						return err
					}
				}
			}
		}
		if len(got) > 0 {
			return fmt.Errorf("%s: unexpected %s/%q %s", what, got[0].Bucket, got[0].Key, got[0].VersionID)
		}
	}
	if !full {
		return nil
	}
	rep, err := h.e.Verify(h.ctx, nil)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if !rep.OK() {
		var ps []string
		for _, p := range rep.Problems {
			ps = append(ps, p.String())
		}
		return fmt.Errorf("verify found %d problems:\n%s", len(ps), strings.Join(ps, "\n"))
	}
	return nil
}

// describeList renders the engine's and the model's version lists of b
// for a failure message.
func describeList(b *mBucket, got []engine.ObjectInfo) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "engine %s:\n", b.name)
	for _, v := range got {
		fmt.Fprintf(&sb, "  %q %s latest=%v dm=%v size=%d lock=%+v\n", v.Key, v.VersionID, v.IsLatest, v.DeleteMarker, v.Size, v.Lock)
	}
	fmt.Fprintf(&sb, "model %s:\n", b.name)
	for _, k := range sortedKeyIndexes() {
		for _, v := range b.keys[k] {
			fmt.Fprintf(&sb, "  %q %s dm=%v size=%d lock=%+v\n", modelKeys[k], v.id, v.dm, len(v.data), v.lock)
		}
	}
	return sb.String()
}

func defaultEqual(a, b *engine.DefaultRetention) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// sortedKeyIndexes returns key indexes in the engine's listing order (raw
// byte order of the keys).
func sortedKeyIndexes() []int {
	idx := []int{0, 1, 2, 3}
	slices.SortFunc(idx, func(x, y int) int { return strings.Compare(modelKeys[x], modelKeys[y]) })
	return idx
}

// latestDiff checks a GET without version id: the latest version's data,
// or ErrNoSuchKey (naming the marker when the latest is a delete marker).
func (h *modelHarness) latestDiff(b *mBucket, k int) error {
	key := modelKeys[k]
	what := fmt.Sprintf("get %s/%q", b.name, key)
	vs := b.keys[k]
	o, err := h.e.OpenObject(h.ctx, b.name, key, "")
	switch {
	case len(vs) == 0:
		return errDiff(what, err, engine.ErrNoSuchKey)
	case vs[0].dm:
		if err := errDiff(what, err, engine.ErrNoSuchKey); err != nil {
			return err
		}
		var dme *engine.DeleteMarkerError
		if !errors.As(err, &dme) || dme.VersionID != vs[0].id {
			return fmt.Errorf("%s: got %v, want a DeleteMarkerError naming %s", what, err, vs[0].id)
		}
		return nil
	}
	if err := errDiff(what, err, nil); err != nil {
		return err
	}
	if err := infoDiff("get latest", b, k, &o.Info, vs[0], true); err != nil {
		return err
	}
	return readDiff(what, o, vs[0])
}

// versionDiff reads one version by id and compares data and lock state.
func (h *modelHarness) versionDiff(b *mBucket, k int, v *mVersion) error {
	key := modelKeys[k]
	what := fmt.Sprintf("get %s/%q %s", b.name, key, v.id)
	o, err := h.e.OpenObject(h.ctx, b.name, key, v.id)
	if v.dm {
		if err := errDiff(what, err, engine.ErrMethodNotAllowed); err != nil {
			return err
		}
	} else {
		if err := errDiff(what, err, nil); err != nil {
			return err
		}
		if err := infoDiff(what, b, k, &o.Info, v, b.keys[k][0] == v); err != nil {
			return err
		}
		if err := readDiff(what, o, v); err != nil {
			return err
		}
	}
	if !b.lock {
		return nil
	}
	ret, err := h.e.GetObjectRetention(h.ctx, b.name, key, v.id)
	switch {
	case v.dm:
		err = errDiff(what+" retention", err, engine.ErrMethodNotAllowed)
	case v.lock.Retention.IsZero():
		err = errDiff(what+" retention", err, engine.ErrNoSuchLockConfiguration)
	default:
		err = errDiff(what+" retention", err, nil)
		if err == nil && (ret.Mode != v.lock.Retention.Mode || !ret.Until.Equal(v.lock.Retention.Until)) {
			err = fmt.Errorf("%s retention: got %+v, want %+v", what, ret, v.lock.Retention)
		}
	}
	if err != nil {
		return err
	}
	hold, err := h.e.GetObjectLegalHold(h.ctx, b.name, key, v.id)
	switch {
	case v.dm:
		return errDiff(what+" legal hold", err, engine.ErrMethodNotAllowed)
	case !v.lock.LegalHoldSet:
		return errDiff(what+" legal hold", err, engine.ErrNoSuchLockConfiguration)
	}
	if err := errDiff(what+" legal hold", err, nil); err != nil {
		return err
	}
	if hold != v.lock.LegalHold {
		return fmt.Errorf("%s legal hold: got %v, want %v", what, hold, v.lock.LegalHold)
	}
	return nil
}

// readDiff reads a version's data in full and compares it with the model.
func readDiff(what string, o *engine.Object, v *mVersion) error {
	rc, err := o.NewReader(0, o.Info.Size)
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	if !bytes.Equal(data, v.data) {
		return fmt.Errorf("read %s: got %d bytes (md5 %s), want %d bytes (md5 %s)",
			what, len(data), md5hex(data), len(v.data), v.etag)
	}
	return nil
}

// crashPoint is an armed crash inside the next operation.
type crashPoint struct {
	n   int
	cfg vfs.CrashCloneCfg
}

// crashInjector is an errorfs.Injector that injects no errors: armed, it
// crash-clones the filesystem just before the nth mutating call.
type crashInjector struct {
	mu        sync.Mutex
	mem       *vfs.MemFS // guarded by mu
	countdown int        // guarded by mu; 0 = disarmed
	cfg       vfs.CrashCloneCfg
	clone     *vfs.MemFS // guarded by mu
}

func (c *crashInjector) setFS(mem *vfs.MemFS) {
	c.mu.Lock()
	c.mem = mem
	c.mu.Unlock()
}

func (c *crashInjector) arm(n int, cfg vfs.CrashCloneCfg) {
	c.mu.Lock()
	c.countdown, c.cfg, c.clone = n, cfg, nil
	c.mu.Unlock()
}

// disarm returns the clone taken since arm, or nil.
func (c *crashInjector) disarm() *vfs.MemFS {
	c.mu.Lock()
	defer c.mu.Unlock()
	clone := c.clone
	c.countdown, c.clone = 0, nil
	return clone
}

// String implements errorfs.Injector.
func (c *crashInjector) String() string { return "crash-point" }

// MaybeError implements errorfs.Injector.
func (c *crashInjector) MaybeError(op errorfs.Op) error {
	if op.Kind.ReadOrWrite() != errorfs.OpIsWrite {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.countdown > 0 {
		c.countdown--
		if c.countdown == 0 {
			c.clone = c.mem.CrashClone(c.cfg)
		}
	}
	return nil
}

// modelState is a deep copy of the model, taken before an operation that a
// crash may interrupt.
type modelState struct {
	buckets              [2]mBucket
	hwm                  time.Time
	durableLo, durableHi time.Time
	acked                map[string]bool
	pool                 []string
}

func (h *modelHarness) save() *modelState {
	st := &modelState{hwm: h.hwm, durableLo: h.durableLo, durableHi: h.durableHi,
		acked: maps.Clone(h.acked), pool: slices.Clone(h.pool)}
	for i, b := range h.buckets {
		st.buckets[i] = *b
		for k := range numKeys {
			st.buckets[i].keys[k] = nil
			for _, v := range b.keys[k] {
				vc := *v
				st.buckets[i].keys[k] = append(st.buckets[i].keys[k], &vc)
			}
		}
	}
	return st
}

func (h *modelHarness) restore(st *modelState) {
	cp := *st
	h.hwm, h.durableLo, h.durableHi, h.acked, h.pool = cp.hwm, cp.durableLo, cp.durableHi, cp.acked, cp.pool
	for i := range h.buckets {
		b := cp.buckets[i]
		h.buckets[i] = &b
	}
}

// crashRecover reopens the engine on clone (taken inside the last
// operation; nil: take one now, after it) and accepts either the model
// state after the operation or pre, the state before it.
func (h *modelHarness) crashRecover(clone *vfs.MemFS, cfg vfs.CrashCloneCfg, pre *modelState) {
	h.t.Helper()
	where := "inside"
	if clone == nil {
		where = "after"
		clone = h.mem.CrashClone(cfg)
	}
	post := h.save()
	if err := h.e.Close(); err != nil {
		h.fatalf("close before crash reopen: %v", err)
	}
	h.e = nil
	h.mem = clone
	h.open()
	h.logf("crash %s the op, unsynced=%d%%: reopened", where, cfg.UnsyncedDataPercent)
	h.tallyString("reopen crash " + where + " op")
	// The operation was acknowledged only if the clone was taken after it.
	// Taken inside, either outcome is right; when both states look the
	// same, the operation's record may or may not have survived, which
	// only the high-water bounds below care about.
	durableLo := pre.durableLo
	errPost := h.diff(true)
	switch {
	case errPost == nil && where == "after":
		durableLo = post.durableLo
	case errPost == nil:
		h.restore(pre)
		if h.diff(false) != nil {
			durableLo = post.durableLo
		}
		h.restore(post)
	case where == "after":
		h.fatalf("after a crash after the op the engine lost it:\n%v", errPost)
	default:
		h.restore(pre)
		if errPre := h.diff(true); errPre != nil {
			h.fatalf("after a crash inside the op the engine matches neither the state after it:\n%v\nnor the state before it:\n%v", errPost, errPre)
		}
		h.logf("recovered the state before the op")
	}
	h.durableLo = durableLo
	lo := laterOf(durableLo, h.now())
	hi := laterOf(laterOf(post.durableHi, post.hwm), h.now())
	got := h.e.Now()
	if got.Before(lo) || got.After(hi) {
		h.fatalf("after crash reopen: engine judges at %s, want within [%s, %s]",
			got.Format(time.RFC3339Nano), lo.Format(time.RFC3339Nano), hi.Format(time.RFC3339Nano))
	}
	h.hwm = got
}

var (
	engineModelRuns = flag.Int("engine-model-runs", 30, "TestEngineModelRandom: number of seeded runs")
	engineModelSeed = flag.Uint64("engine-model-seed", 0, "TestEngineModelRandom: run only this seed")
	engineModelLog  = flag.Bool("engine-model-log", false, "log the op log of passing engine model runs too")
)

// FuzzEngineModel runs fuzzed operation sequences against the engine and
// the model; see the file comment for the input layout.
func FuzzEngineModel(f *testing.F) {
	f.Fuzz(func(t *testing.T, input []byte) {
		runEngineModel(t, input)
	})
}

// TestEngineModelRandom runs seeded random operation sequences through the
// same harness, so the property is checked by plain `go test`.
func TestEngineModelRandom(t *testing.T) {
	first, runs, ops := uint64(1), *engineModelRuns, 200
	if testing.Short() {
		runs = min(runs, 8)
	}
	if *engineModelSeed != 0 {
		first, runs = *engineModelSeed, 1
	}
	total := map[string]int{}
	for seed := first; seed < first+uint64(runs); seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Logf("seed %d (rerun with -engine-model-seed=%d)", seed, seed)
			rng := rand.New(rand.NewPCG(seed, 0x776f726d))
			input := make([]byte, 1+ops*opBytes)
			for i := range input {
				input[i] = byte(rng.Uint32())
			}
			for k, n := range runEngineModel(t, input) {
				total[k] += n
			}
		})
	}
	var sb strings.Builder
	for _, k := range slices.Sorted(maps.Keys(total)) {
		fmt.Fprintf(&sb, "\n  %6d %s", total[k], k)
	}
	t.Logf("outcomes over %d runs:%s", runs, sb.String())
}
