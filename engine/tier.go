package engine

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/minio/crc64nvme"
	"github.com/wormstore/wormstore/segment"
)

// Remote tier: sealed segments move, whole, to an Object-Lock bucket of
// another S3 store; see DESIGN.md "Remote tier: moving segments". The engine knows nothing of
// HTTP or S3: it talks to a RemoteTier (package tier implements it over
// aws-sdk-go-v2).
//
// Moving segment S (TierSegment), under compactMu so that compaction
// cannot rewrite S meanwhile:
//
//  1. eligibility: S is sealed, local, referenced only by versions (no
//     staged multipart part) of which none is under legal hold;
//     until = max(every referencing version's retain-until, now +
//     TierMinRetention);
//  2. local verify of every block of S, CRC64NVME of the file;
//  3. upload (multipart by the tier) with COMPLIANCE until and the
//     full-object CRC64NVME, retried with backoff;
//  4. remote verify: HEAD (size, checksum, COMPLIANCE, retain-until), then
//     read every byte back, compare with the local file and check every
//     block frame and the footer;
//  5. recSegmentTiered in the WAL (refused, and the move retried, if a
//     retention was extended past until meanwhile; abandoned if a legal
//     hold appeared);
//  6. release: the local file is deleted, reads go to the remote.
//
// A crash before 5 leaves S local (and maybe an orphan remote version that
// expires with its retention); after 5 the remote copy is verified and the
// next open finishes 6. So data is always local, or remote and verified.

// RemoteTier is a remote object store with S3 Object Lock semantics. The
// engine calls it outside its mutation lock; implementations must be safe
// for concurrent use. Keys are the engine's (TierKey); versionID "" is not
// used: every object is addressed by the version its Put returned.
type RemoteTier interface {
	// Describe names the target for logs and status, e.g.
	// "https://s3.example.com/archive/wormstore/". No secrets.
	Describe() string
	// Check verifies that the remote can hold locked data: the bucket
	// exists, has versioning Enabled and Object Lock enabled.
	Check(ctx context.Context) error
	// Put uploads size bytes of r as key with the full-object CRC64NVME
	// checksum crc (base64; the remote must verify it), COMPLIANCE
	// retention until retainUntil and no legal hold, and returns the new
	// version id.
	Put(ctx context.Context, key string, r io.ReaderAt, size int64, crc string, retainUntil time.Time) (versionID string, err error)
	// GetRange returns n bytes of the version starting at off.
	GetRange(ctx context.Context, key, versionID string, off, n int64) (io.ReadCloser, error)
	// Head describes the version.
	Head(ctx context.Context, key, versionID string) (RemoteObject, error)
	// SetRetention sets COMPLIANCE retention until t on the version.
	SetRetention(ctx context.Context, key, versionID string, until time.Time) error
	// SetLegalHold turns the version's legal hold on or off.
	SetLegalHold(ctx context.Context, key, versionID string, on bool) error
	// Delete permanently deletes the version (the remote refuses while it
	// is retained or held).
	Delete(ctx context.Context, key, versionID string) error
	// List returns every version of every key starting with prefix.
	List(ctx context.Context, prefix string) ([]RemoteVersion, error)
}

// RemoteVersion is one object version RemoteTier.List found.
type RemoteVersion struct {
	Key       string
	VersionID string
	Size      int64
}

// RemoteObject is what RemoteTier.Head reports.
type RemoteObject struct {
	Size        int64
	CRC64NVME   string // base64, as S3 reports it; "" when not reported
	Mode        Mode
	RetainUntil time.Time
	LegalHold   bool
}

// tierInfo is a tiered segment: the remote version holding its bytes and
// the remote lock the engine set. Index value under remoteKey(Seg); on
// disk as wireTierV1.
type tierInfo struct {
	Seg       uint64
	Key       string
	VersionID string
	Size      int64 // object size (segment file size, footer included)
	DataEnd   int64
	Blocks    int64
	RawBytes  int64
	BlockSize uint32
	CRC64NVME string
	Until     time.Time // remote COMPLIANCE retain-until
	Hold      bool      // remote legal hold on
}

// tagRemote is the index table of tiered segments:
//
//	'R' seg:8 → tierInfo (JSON)
const tagRemote = 'R'

func remoteKey(seg uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{tagRemote}, seg)
}

// TierKey is the remote object key of segment id under prefix.
func TierKey(prefix string, id uint64) string {
	return fmt.Sprintf("%ssegments/%016x.seg", prefix, id)
}

func applyTier(b *pebble.Batch, rec *record) error {
	if rec.Tier == nil {
		return fmt.Errorf("%w: %s record without tier info", ErrCorrupt, rec.Type)
	}
	if rec.Type == recTierRemoved {
		return b.Delete(remoteKey(rec.Tier.Seg), nil)
	}
	return setJSON(b, remoteKey(rec.Tier.Seg), rec.Tier)
}

// scanTiered calls fn for every tiered segment in the index.
func scanTiered(r iterable, fn func(t *tierInfo) error) error {
	p := []byte{tagRemote}
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		var t tierInfo
		if err := jsonValue(it, &t); err != nil {
			return err
		}
		if err := fn(&t); err != nil {
			return err
		}
	}
	return it.Error()
}

// Tier errors.
var (
	// ErrTierUnavailable wraps a remote tier failure after retries, or
	// tiered data read while no tier is configured. Local data is never
	// lost by it; the operation may be retried.
	ErrTierUnavailable = errors.New("engine: remote tier unavailable")
	// ErrTierNotConfigured is returned by tier operations without a tier.
	ErrTierNotConfigured = errors.New("engine: no remote tier configured")
	// ErrTierNotEligible is returned by TierSegment for a segment that
	// cannot move (active, unsealed, already tiered, holding staged parts
	// or legal-held versions, unreferenced).
	ErrTierNotEligible = errors.New("engine: segment cannot be tiered")
	// ErrTierVerify is returned when the remote copy does not match.
	ErrTierVerify = errors.New("engine: remote copy does not verify")
	// ErrRemoteNotFound is what a RemoteTier wraps for a key or version the
	// remote does not have (404); it is not retried.
	ErrRemoteNotFound = errors.New("engine: remote object version not found")
)

// TierOptions configures the remote tier (Options.Tier).
type TierOptions struct {
	// Remote is the remote store. Required for tiering.
	Remote RemoteTier
	// Prefix is prepended to every remote key ("wormstore/" by default
	// in the server; "" here means no prefix).
	Prefix string
	// Interval is how often the policy runs; <= 0 disables the policy
	// loop (TierSegment and TierCollect still work).
	Interval time.Duration
	// MinAge moves sealed segments older than this (by file time); 0
	// disables the age rule.
	MinAge time.Duration
	// MinFreeFraction moves the oldest sealed segments while the local
	// disk's free fraction is below it; 0 disables the rule.
	MinFreeFraction float64
	// MinRetention is the least remote COMPLIANCE retention an upload
	// gets (now + MinRetention), also for segments of unlocked versions.
	// Default 24h.
	MinRetention time.Duration
	// CacheBytes is the size of the read cache of remote data. Default 64 MiB.
	CacheBytes int64
	// Retries is how many times a failed remote call is retried. Default 5.
	Retries int
	// RetryBase is the first backoff; it doubles up to 5 s. Default 200 ms.
	RetryBase time.Duration
}

func (o *TierOptions) ensureDefaults() {
	if o.MinRetention == 0 {
		o.MinRetention = 24 * time.Hour
	}
	if o.CacheBytes == 0 {
		o.CacheBytes = 64 << 20
	}
	if o.Retries == 0 {
		o.Retries = 5
	}
	if o.RetryBase == 0 {
		o.RetryBase = 200 * time.Millisecond
	}
}

// tierState is the engine's tier runtime state.
type tierState struct {
	opts atomic.Pointer[TierOptions]

	// extendMu serialises tierExtend.
	extendMu sync.Mutex

	mu sync.Mutex
	// segs holds every tiered segment (mirror of the 'R' index table).
	// Guarded by mu.
	segs map[uint64]tierInfo
	// moving is the segment being moved and the retain-until its upload
	// carries; lock changes to its versions raise need or set held.
	// Guarded by mu.
	moving   uint64
	need     time.Time
	heldSeen bool

	cache blockCache

	uploads, uploadBytes, retries, failures, removed atomic.Int64
	cacheHits, cacheMisses                           atomic.Int64
	lastErr                                          atomic.Pointer[tierErr]
}

type tierErr struct {
	at  time.Time
	op  string
	err string
}

// TierStatus describes the remote tier (admin API, metrics).
type TierStatus struct {
	Configured      bool
	Target          string
	Segments        int
	Bytes           int64
	Uploads         int64
	UploadedBytes   int64
	Retries         int64
	Failures        int64
	RemovedSegments int64
	CacheHits       int64
	CacheMisses     int64
	LastError       string
	LastErrorAt     time.Time
	LastErrorOp     string
}

// TierSegmentInfo is one tiered segment as status reports it.
type TierSegmentInfo struct {
	ID          uint64
	Key         string
	VersionID   string
	Size        int64
	RetainUntil time.Time
	LegalHold   bool
}

// SetTier attaches (or, with nil, detaches) the remote tier at run time.
// The caller checks the remote first (RemoteTier.Check).
func (e *Engine) SetTier(o *TierOptions) {
	if o != nil {
		c := *o
		c.ensureDefaults()
		e.tier.cache.setCap(c.CacheBytes)
		e.tier.opts.Store(&c)
		return
	}
	e.tier.opts.Store(nil)
}

// TierStatus reports the tier's counters and the last remote error.
func (e *Engine) TierStatus() TierStatus {
	st := TierStatus{}
	if o := e.tier.opts.Load(); o != nil {
		st.Configured, st.Target = true, o.Remote.Describe()
	}
	e.tier.mu.Lock()
	for _, t := range e.tier.segs {
		st.Segments++
		st.Bytes += t.Size
	}
	e.tier.mu.Unlock()
	st.Uploads, st.UploadedBytes = e.tier.uploads.Load(), e.tier.uploadBytes.Load()
	st.Retries, st.Failures, st.RemovedSegments = e.tier.retries.Load(), e.tier.failures.Load(), e.tier.removed.Load()
	st.CacheHits, st.CacheMisses = e.tier.cacheHits.Load(), e.tier.cacheMisses.Load()
	if le := e.tier.lastErr.Load(); le != nil {
		st.LastError, st.LastErrorAt, st.LastErrorOp = le.err, le.at, le.op
	}
	return st
}

// TierWarning returns a one-line warning for /health/ready while the last
// remote call failed within the last 10 minutes, else "".
func (e *Engine) TierWarning() string {
	le := e.tier.lastErr.Load()
	if le == nil || e.opts.Clock().Sub(le.at) > 10*time.Minute {
		return ""
	}
	return fmt.Sprintf("remote tier: %s failed at %s: %s", le.op, le.at.Format(time.RFC3339), le.err)
}

// TieredSegments lists the tiered segments, sorted by id.
func (e *Engine) TieredSegments() []TierSegmentInfo {
	e.tier.mu.Lock()
	out := make([]TierSegmentInfo, 0, len(e.tier.segs))
	for _, t := range e.tier.segs {
		out = append(out, TierSegmentInfo{ID: t.Seg, Key: t.Key, VersionID: t.VersionID, Size: t.Size, RetainUntil: t.Until, LegalHold: t.Hold})
	}
	e.tier.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// TierCheck runs the remote's Check (admin "tier test").
func (e *Engine) TierCheck(ctx context.Context) error {
	o := e.tier.opts.Load()
	if o == nil {
		return ErrTierNotConfigured
	}
	if err := e.remoteCall(ctx, o, "check", func(ctx context.Context) error { return o.Remote.Check(ctx) }); err != nil {
		return err
	}
	// The newest tiered segment must be there: a wrong endpoint, bucket or
	// prefix would make every tiered read fail.
	var newest *tierInfo
	e.tier.mu.Lock()
	for _, t := range e.tier.segs {
		if newest == nil || t.Seg > newest.Seg {
			t := t
			newest = &t
		}
	}
	e.tier.mu.Unlock()
	if newest == nil {
		return nil
	}
	return e.remoteCall(ctx, o, "check-segment", func(ctx context.Context) error {
		ro, err := o.Remote.Head(ctx, newest.Key, newest.VersionID)
		if errors.Is(err, ErrRemoteNotFound) {
			return fmt.Errorf("%w: tiered segment %d (%s version %s) is not in %s: is this the remote it was moved to (endpoint, bucket, prefix)?",
				ErrTierUnavailable, newest.Seg, newest.Key, newest.VersionID, o.Remote.Describe())
		}
		if err == nil && ro.Size != newest.Size {
			return fmt.Errorf("%w: segment %d: remote object is %d bytes, recorded %d", ErrTierVerify, newest.Seg, ro.Size, newest.Size)
		}
		return err
	})
}

func (e *Engine) isTiered(id uint64) bool {
	e.tier.mu.Lock()
	defer e.tier.mu.Unlock()
	_, ok := e.tier.segs[id]
	return ok
}

// openTier loads the tiered segments from the index at open: each is
// attached to the segment store as remote; one whose local file is still
// there (a crash between the record and the release) is released now.
func (e *Engine) openTier() error {
	e.tier.segs = map[uint64]tierInfo{}
	if e.opts.Tier != nil {
		e.SetTier(e.opts.Tier)
	}
	return scanTiered(e.db, func(t *tierInfo) error {
		e.tier.segs[t.Seg] = *t
		src := &remoteSource{e: e, t: *t}
		if e.segs.HasLocal(t.Seg) {
			e.log.Info("tier: finishing the release of a tiered segment's local file", "segment", t.Seg)
			return e.segs.ReleaseLocal(t.Seg, src)
		}
		return e.segs.AttachRemote(t.Seg, segment.RemoteInfo{DataEnd: t.DataEnd, Blocks: t.Blocks, RawBytes: t.RawBytes, BlockSize: t.BlockSize}, src)
	})
}

// remoteRange reads n bytes at start of tiered segment t's remote object
// (with remoteCall's retries); a short or long answer is an error.
func (e *Engine) remoteRange(ctx context.Context, o *TierOptions, op string, t *tierInfo, start, n int64) ([]byte, error) {
	var data []byte
	err := e.remoteCall(ctx, o, op, func(ctx context.Context) error {
		rc, err := o.Remote.GetRange(ctx, t.Key, t.VersionID, start, n)
		if err != nil {
			return err
		}
		defer rc.Close()
		data, err = io.ReadAll(io.LimitReader(rc, n+1))
		if err == nil && int64(len(data)) != n {
			err = fmt.Errorf("ranged GET at %d returned %d bytes, want %d", start, len(data), n)
		}
		return err
	})
	return data, err
}

// remoteCall runs fn with retries and exponential backoff, counting
// retries and recording the last failure. Context errors are not retried.
func (e *Engine) remoteCall(ctx context.Context, o *TierOptions, op string, fn func(ctx context.Context) error) error {
	backoff := o.RetryBase
	var err error
	for attempt := 0; ; attempt++ {
		if err = fn(ctx); err == nil {
			return nil
		}
		if errors.Is(err, ErrRemoteNotFound) {
			return err // an answer, not a failure of the remote
		}
		if ctx.Err() != nil || errors.Is(err, ErrTierVerify) {
			break
		}
		e.tier.lastErr.Store(&tierErr{at: e.opts.Clock(), op: op, err: err.Error()})
		if attempt >= o.Retries {
			break
		}
		e.tier.retries.Add(1)
		e.log.Warn("tier: remote call failed; retrying", "op", op, "attempt", attempt+1, "backoff", backoff, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, 5*time.Second)
	}
	e.tier.failures.Add(1)
	e.tier.lastErr.Store(&tierErr{at: e.opts.Clock(), op: op, err: err.Error()})
	if errors.Is(err, ErrTierVerify) || ctx.Err() != nil {
		return err
	}
	return fmt.Errorf("%w: %s: %w", ErrTierUnavailable, op, err)
}

// TierMoveResult reports a TierSegment.
type TierMoveResult struct {
	Segment     uint64
	Key         string
	VersionID   string
	Bytes       int64
	RetainUntil time.Time
}

// tierSeams are test hooks between the steps of a move (nil in
// production).
type tierSeams struct {
	afterUpload, afterVerify, afterRecord func()
}

// TierSegment moves sealed segment id to the remote tier (see the steps
// above). It returns ErrTierNotEligible for a segment that must stay local.
func (e *Engine) TierSegment(ctx context.Context, id uint64) (*TierMoveResult, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	o := e.tier.opts.Load()
	if o == nil {
		return nil, ErrTierNotConfigured
	}
	e.compactMu.Lock()
	defer e.compactMu.Unlock()
	if e.isTiered(id) {
		return nil, fmt.Errorf("%w: segment %d is already tiered", ErrTierNotEligible, id)
	}
	var si *segment.Info
	for _, s := range e.segs.Segments() {
		if s.ID == id {
			s := s
			si = &s
		}
	}
	switch {
	case si == nil:
		return nil, fmt.Errorf("%w: segment %d does not exist", ErrTierNotEligible, id)
	case !si.Sealed || si.Remote || si.Broken:
		return nil, fmt.Errorf("%w: segment %d is not a sealed local segment", ErrTierNotEligible, id)
	}
	// From here on, lock changes to versions in the segment are seen by
	// tierLockCheckLocked (need, heldSeen), so none is missed between the
	// eligibility scan and the record.
	e.tier.mu.Lock()
	e.tier.moving, e.tier.need, e.tier.heldSeen = id, time.Time{}, false
	e.tier.mu.Unlock()
	defer func() {
		e.tier.mu.Lock()
		e.tier.moving, e.tier.need, e.tier.heldSeen = 0, time.Time{}, false
		e.tier.mu.Unlock()
	}()
	until, err := e.tierEligible(ctx, id)
	if err != nil {
		return nil, err
	}
	now := e.judgeNow()
	until = ceilSecond(laterOf(until, now.Add(o.MinRetention)))
	info, err := e.segs.LocalInfo(id)
	if err != nil {
		return nil, err
	}
	if err := e.segs.Verify(id, nil); err != nil {
		return nil, fmt.Errorf("engine: tier segment %d: local copy does not verify, not moving it: %w", id, err)
	}
	f, err := e.segs.OpenLocal(id)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := info.DataEnd + segmentFooterSize
	crc, err := crcOf(f, size)
	if err != nil {
		return nil, fmt.Errorf("engine: tier segment %d: read local file: %w", id, err)
	}
	e.log.Info("tier: moving segment", "segment", id, "bytes", size, "retain_until", until)
	t := tierInfo{Seg: id, Key: TierKey(o.Prefix, id), Size: size, DataEnd: info.DataEnd, Blocks: info.Blocks,
		RawBytes: info.RawBytes, BlockSize: info.BlockSize, CRC64NVME: crc, Until: until.UTC()}

	err = e.remoteCall(ctx, o, "upload", func(ctx context.Context) error {
		vid, err := o.Remote.Put(ctx, t.Key, f, size, crc, t.Until)
		t.VersionID = vid
		return err
	})
	if err != nil {
		return nil, err
	}
	e.tier.uploads.Add(1)
	e.tier.uploadBytes.Add(size)
	e.seam(func(s *tierSeams) func() { return s.afterUpload })
	if err := e.verifyRemoteCopy(ctx, o, t, f); err != nil {
		return nil, err
	}
	e.seam(func(s *tierSeams) func() { return s.afterVerify })
	for attempt := 0; ; attempt++ {
		_, err = e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
			e.tier.mu.Lock()
			defer e.tier.mu.Unlock()
			need, held := e.tier.need, e.tier.heldSeen
			if held {
				return nil, fmt.Errorf("%w: segment %d: a version in it was put under legal hold during the move", ErrTierNotEligible, id)
			}
			if need.After(t.Until) {
				return nil, &tierExtendError{seg: id, until: need}
			}
			// Visible to lock changes from the moment the record is
			// applied (they run under mu too).
			e.tier.segs[id] = t
			return &record{Type: recSegmentTiered, Tier: &t}, nil
		})
		if err != nil {
			e.tier.mu.Lock()
			delete(e.tier.segs, id)
			e.tier.mu.Unlock()
		}
		var ext *tierExtendError
		if !errors.As(err, &ext) || attempt > 3 {
			break
		}
		// A retention was extended past the upload's during the move:
		// extend the remote first, then record.
		until := ceilSecond(ext.until)
		if err := e.remoteCall(ctx, o, "set-retention", func(ctx context.Context) error {
			return o.Remote.SetRetention(ctx, t.Key, t.VersionID, until)
		}); err != nil {
			return nil, err
		}
		t.Until = until
	}
	if err != nil {
		return nil, err
	}
	e.seam(func(s *tierSeams) func() { return s.afterRecord })
	if err := e.segs.ReleaseLocal(id, &remoteSource{e: e, t: t}); err != nil {
		// The remote copy is verified and recorded: the next open
		// finishes the release.
		e.log.Warn("tier: local file not released yet", "segment", id, "err", err)
	}
	e.log.Info("tier: segment moved", "segment", id, "key", t.Key, "version", t.VersionID, "bytes", size, "retain_until", t.Until)
	return &TierMoveResult{Segment: id, Key: t.Key, VersionID: t.VersionID, Bytes: size, RetainUntil: t.Until}, nil
}

// segmentFooterSize is the sealed segment footer (segment/doc.go).
const segmentFooterSize = 40

// ceilSecond rounds t up to a whole second (UTC): remotes keep
// retain-until dates in seconds, and rounding down would shorten a lock.
func ceilSecond(t time.Time) time.Time {
	r := t.Truncate(time.Second)
	if r.Before(t) {
		r = r.Add(time.Second)
	}
	return r.UTC()
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// tierEligible checks what references segment id and returns the latest
// retain-until of the versions in it.
func (e *Engine) tierEligible(ctx context.Context, id uint64) (time.Time, error) {
	var until time.Time
	refs := 0
	var why string
	err := scanRefs(ctx, e.db, func(r extentRef) error {
		if r.ext.Seg != id {
			return nil
		}
		refs++
		switch {
		case r.v == nil:
			why = "it holds staged multipart parts"
		case r.v.Lock.LegalHold:
			why = fmt.Sprintf("version %s of %s/%s in it is under legal hold", r.v.id(), r.h.bucket, r.h.key)
		default:
			if !r.v.Lock.Retention.IsZero() {
				until = laterOf(until, r.v.Lock.Retention.Until)
			}
		}
		return nil
	})
	if err != nil {
		return time.Time{}, err
	}
	if why == "" && refs == 0 {
		why = "nothing references it (compaction removes it)"
	}
	if why != "" {
		return time.Time{}, fmt.Errorf("%w: segment %d: %s", ErrTierNotEligible, id, why)
	}
	return until, nil
}

func crcOf(r io.ReaderAt, size int64) (string, error) {
	h := crc64nvme.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, size)); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

// verifyRemoteCopy checks the uploaded version before anything relies on
// it: HEAD, then every byte read back equal to the local file, every frame
// and the footer valid.
func (e *Engine) verifyRemoteCopy(ctx context.Context, o *TierOptions, t tierInfo, local io.ReaderAt) error {
	var ro RemoteObject
	if err := e.remoteCall(ctx, o, "head", func(ctx context.Context) (err error) {
		ro, err = o.Remote.Head(ctx, t.Key, t.VersionID)
		return err
	}); err != nil {
		return err
	}
	switch {
	case ro.Size != t.Size:
		return fmt.Errorf("%w: segment %d: remote size %d, local %d", ErrTierVerify, t.Seg, ro.Size, t.Size)
	case ro.CRC64NVME != "" && ro.CRC64NVME != t.CRC64NVME:
		return fmt.Errorf("%w: segment %d: remote CRC64NVME %s, local %s", ErrTierVerify, t.Seg, ro.CRC64NVME, t.CRC64NVME)
	case ro.Mode != ModeCompliance || ro.RetainUntil.Before(t.Until):
		return fmt.Errorf("%w: segment %d: remote lock %s until %s, want COMPLIANCE until %s (does the remote honour Object Lock?)",
			ErrTierVerify, t.Seg, ro.Mode, ro.RetainUntil, t.Until)
	}
	src := &windowSource{e: e, o: o, t: t, local: local}
	if err := e.segs.VerifyRemote(t.Seg, segment.RemoteInfo{DataEnd: t.DataEnd, Blocks: t.Blocks, RawBytes: t.RawBytes, BlockSize: t.BlockSize}, src); err != nil {
		if src.err != nil {
			return src.err
		}
		return fmt.Errorf("%w: segment %d: %w", ErrTierVerify, t.Seg, err)
	}
	if src.err != nil {
		return src.err
	}
	// Walk whatever the frame walk did not touch (nothing, for a sound
	// segment) so that every byte was compared.
	for off := int64(0); off < t.Size; off += tierWindow {
		if err := src.load(ctx, off); err != nil {
			return err
		}
	}
	return nil
}

// tierWindow is the size of the ranged GETs that read a remote copy back.
const tierWindow = 8 << 20

// windowSource serves a sequential walk over a remote copy from one
// window of tierWindow bytes, comparing every window with the local file.
// Not safe for concurrent use (VerifyRemote reads sequentially).
type windowSource struct {
	e     *Engine
	o     *TierOptions
	t     tierInfo
	local io.ReaderAt
	start int64
	buf   []byte
	err   error // a remote or mismatch failure (not a frame problem)
}

func (w *windowSource) load(ctx context.Context, off int64) error {
	start := off / tierWindow * tierWindow
	if w.buf != nil && w.start == start {
		return nil
	}
	n := min(int64(tierWindow), w.t.Size-start)
	data, err := w.e.remoteRange(ctx, w.o, "verify-read", &w.t, start, n)
	if err != nil {
		return err
	}
	local := make([]byte, n)
	if _, err := w.local.ReadAt(local, start); err != nil && !(errors.Is(err, io.EOF) && len(local) == int(n)) {
		return fmt.Errorf("engine: tier verify: read local segment %d: %w", w.t.Seg, err)
	}
	if !bytes.Equal(local, data) {
		return fmt.Errorf("%w: segment %d: remote bytes at [%d, %d) differ from the local file", ErrTierVerify, w.t.Seg, start, start+n)
	}
	w.start, w.buf = start, data
	return nil
}

func (w *windowSource) ReadAt(p []byte, off int64) (int, error) {
	done := 0
	for done < len(p) {
		pos := off + int64(done)
		if pos >= w.t.Size {
			return done, io.EOF
		}
		if err := w.load(context.Background(), pos); err != nil {
			w.err = err
			return done, err
		}
		done += copy(p[done:], w.buf[pos-w.start:])
	}
	return done, nil
}

// tierExtendError asks the caller of commit to extend a tiered segment's
// remote lock first (outside the mutation lock), then retry.
type tierExtendError struct {
	seg   uint64
	until time.Time // zero: no retention change
	hold  bool
}

func (t *tierExtendError) Error() string {
	return fmt.Sprintf("engine: tiered segment %d: remote lock must be extended first", t.seg)
}

// tierLockCheckLocked is called (under mu) by lock changes before their
// record is built: next is the version's lock state after the change. For
// a version in a tiered segment whose remote lock is weaker it returns a
// *tierExtendError; for one in the segment being moved it raises the
// retention the move must carry (or abandons the move for a legal hold).
func (e *Engine) tierLockCheckLocked(v *version, next LockState) error {
	e.tier.mu.Lock()
	defer e.tier.mu.Unlock()
	if len(e.tier.segs) == 0 && e.tier.moving == 0 {
		return nil
	}
	var until time.Time
	if !next.Retention.IsZero() {
		until = next.Retention.Until
	}
	for _, x := range v.Extents {
		if x.Seg == e.tier.moving && e.tier.moving != 0 {
			if next.LegalHold {
				e.tier.heldSeen = true
			}
			if until.After(e.tier.need) {
				e.tier.need = until
			}
		}
		t, ok := e.tier.segs[x.Seg]
		if !ok {
			continue
		}
		if until.After(t.Until) || next.LegalHold && !t.Hold {
			return &tierExtendError{seg: x.Seg, until: until, hold: next.LegalHold}
		}
	}
	return nil
}

// tierExtend carries a stronger lock to a tiered segment's remote object
// and records it (recTierLock), so that the local change that needed it
// may be acknowledged.
func (e *Engine) tierExtend(ctx context.Context, need *tierExtendError) error {
	o := e.tier.opts.Load()
	if o == nil {
		return fmt.Errorf("%w: segment %d is tiered and its remote lock must be extended first: %w", ErrTierUnavailable, need.seg, ErrTierNotConfigured)
	}
	e.tier.extendMu.Lock() // one extension at a time: never ask the remote to shorten
	defer e.tier.extendMu.Unlock()
	e.tier.mu.Lock()
	t, ok := e.tier.segs[need.seg]
	e.tier.mu.Unlock()
	if !ok {
		return nil
	}
	if need.until.After(t.Until) {
		// The remote may already hold more than recorded (a crash after
		// an extension, before its record): never ask it to shorten.
		var ro RemoteObject
		if err := e.remoteCall(ctx, o, "head", func(ctx context.Context) (err error) {
			ro, err = o.Remote.Head(ctx, t.Key, t.VersionID)
			return err
		}); err != nil {
			return err
		}
		if ro.Mode == ModeCompliance && !ro.RetainUntil.Before(need.until) {
			t.Until = ro.RetainUntil.UTC()
		} else {
			until := ceilSecond(need.until)
			if err := e.remoteCall(ctx, o, "set-retention", func(ctx context.Context) error {
				return o.Remote.SetRetention(ctx, t.Key, t.VersionID, until)
			}); err != nil {
				return err
			}
			t.Until = until.UTC()
		}
	}
	if need.hold && !t.Hold {
		if err := e.remoteCall(ctx, o, "set-legal-hold", func(ctx context.Context) error {
			return o.Remote.SetLegalHold(ctx, t.Key, t.VersionID, true)
		}); err != nil {
			return err
		}
		t.Hold = true
	}
	_, err := e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
		return &record{Type: recTierLock, Tier: &t}, nil
	})
	if err != nil {
		return err
	}
	e.tier.mu.Lock()
	e.tier.segs[t.Seg] = t
	e.tier.mu.Unlock()
	return nil
}

// commitLockChange runs a lock-change commit, first extending remote locks
// it needs (tierExtendError from build), at most a few rounds.
func (e *Engine) commitLockChange(ctx context.Context, build func(now time.Time, seq uint64) (*record, error)) (*record, error) {
	for attempt := 0; ; attempt++ {
		rec, err := e.commit(ctx, build)
		var need *tierExtendError
		if !errors.As(err, &need) || attempt >= 4 {
			return rec, err
		}
		if err := e.tierExtend(ctx, need); err != nil {
			return nil, err
		}
	}
}

// TierCollect deletes the remote objects of tiered segments that no live
// version references any more once their remote retention has passed
// (judged time), then records the removal. It returns the segments removed.
func (e *Engine) TierCollect(ctx context.Context) ([]uint64, error) {
	o := e.tier.opts.Load()
	if o == nil {
		return nil, ErrTierNotConfigured
	}
	e.compactMu.Lock()
	defer e.compactMu.Unlock()
	refd := map[uint64]bool{}
	if err := scanRefs(ctx, e.db, func(r extentRef) error {
		refd[r.ext.Seg] = true
		return nil
	}); err != nil {
		return nil, err
	}
	now := e.judgeNow()
	var cands []tierInfo
	e.tier.mu.Lock()
	for id, t := range e.tier.segs {
		if !refd[id] && !t.Until.After(now) {
			cands = append(cands, t)
		}
	}
	e.tier.mu.Unlock()
	slices.SortFunc(cands, func(a, b tierInfo) int { return int(a.Seg - b.Seg) })
	var removed []uint64
	for _, t := range cands {
		// A version already gone (a crash after the remote delete,
		// before its record) is recorded as removed now.
		if t.Hold {
			if err := e.remoteCall(ctx, o, "clear-legal-hold", func(ctx context.Context) error {
				return o.Remote.SetLegalHold(ctx, t.Key, t.VersionID, false)
			}); err != nil && !errors.Is(err, ErrRemoteNotFound) {
				return removed, err
			}
		}
		if err := e.remoteCall(ctx, o, "delete", func(ctx context.Context) error {
			return o.Remote.Delete(ctx, t.Key, t.VersionID)
		}); err != nil && !errors.Is(err, ErrRemoteNotFound) {
			return removed, err
		}
		t := t
		if _, err := e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
			return &record{Type: recTierRemoved, Tier: &t}, nil
		}); err != nil {
			return removed, err
		}
		e.tier.mu.Lock()
		delete(e.tier.segs, t.Seg)
		e.tier.mu.Unlock()
		if err := e.segs.Forget(t.Seg); err != nil {
			return removed, err
		}
		e.tier.removed.Add(1)
		removed = append(removed, t.Seg)
		e.log.Info("tier: remote object of an unreferenced segment deleted", "segment", t.Seg, "key", t.Key, "version", t.VersionID)
	}
	return removed, nil
}

// tierLoop applies the move policy every TierOptions.Interval.
func (e *Engine) tierLoop() {
	defer e.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-e.stop
		cancel()
	}()
	for {
		o := e.tier.opts.Load()
		iv := time.Minute
		if o != nil && o.Interval > 0 {
			iv = o.Interval
		}
		t := time.NewTimer(iv)
		select {
		case <-e.stop:
			t.Stop()
			return
		case <-t.C:
		}
		if o = e.tier.opts.Load(); o == nil || o.Interval <= 0 {
			continue
		}
		if _, err := e.TierPolicy(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("tier: policy run failed", "err", err)
		}
	}
}

// TierPolicy runs the move policy once: sealed local segments older than
// MinAge move, and while free space is below MinFreeFraction the oldest
// move regardless of age; then unreferenced expired remote objects are
// removed. Ineligible segments are skipped. It returns the moved ids.
func (e *Engine) TierPolicy(ctx context.Context) ([]uint64, error) {
	o := e.tier.opts.Load()
	if o == nil {
		return nil, ErrTierNotConfigured
	}
	type cand struct {
		id  uint64
		age time.Duration
	}
	var cands []cand
	now := e.opts.Clock()
	for _, si := range e.segs.Segments() {
		if !si.Sealed || si.Remote || si.Broken || e.isTiered(si.ID) {
			continue
		}
		fi, err := e.fs.Stat(e.fs.PathJoin(e.opts.Dir, segmentsDir, fmt.Sprintf("%016x.seg", si.ID)))
		if err != nil {
			continue
		}
		cands = append(cands, cand{si.ID, now.Sub(fi.ModTime())})
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].id < cands[j].id })
	lowSpace := func() bool {
		if o.MinFreeFraction <= 0 {
			return false
		}
		du, err := e.fs.GetDiskUsage(e.opts.Dir)
		if err != nil || du.TotalBytes == 0 {
			return false
		}
		return float64(du.AvailBytes)/float64(du.TotalBytes) < o.MinFreeFraction
	}
	var moved []uint64
	for _, c := range cands {
		if err := ctx.Err(); err != nil {
			return moved, err
		}
		if !(o.MinAge > 0 && c.age >= o.MinAge) && !lowSpace() {
			continue
		}
		_, err := e.TierSegment(ctx, c.id)
		switch {
		case errors.Is(err, ErrTierNotEligible):
			e.log.Debug("tier: segment stays local", "segment", c.id, "reason", err)
		case err != nil:
			return moved, err
		default:
			moved = append(moved, c.id)
		}
	}
	_, err := e.TierCollect(ctx)
	return moved, err
}

// seam calls a crash-test hook if one is installed.
func (e *Engine) seam(pick func(*tierSeams) func()) {
	if s := e.tierSeams; s != nil {
		if f := pick(s); f != nil {
			f()
		}
	}
}

// remoteSource reads a tiered segment for the segment store: ranged GETs
// of tierChunk-aligned chunks through the engine's block cache.
type remoteSource struct {
	e *Engine
	t tierInfo
}

// tierChunk is the unit of remote reads and of the cache.
const tierChunk = 1 << 20

func (r *remoteSource) ReadAt(p []byte, off int64) (int, error) {
	done := 0
	for done < len(p) {
		pos := off + int64(done)
		if pos >= r.t.Size {
			return done, io.EOF
		}
		c := pos / tierChunk
		chunk, err := r.chunk(c)
		if err != nil {
			return done, err
		}
		done += copy(p[done:], chunk[pos-c*tierChunk:])
	}
	return done, nil
}

func (r *remoteSource) chunk(c int64) ([]byte, error) {
	e := r.e
	k := cacheKey{seg: r.t.Seg, chunk: c}
	if b := e.tier.cache.get(k); b != nil {
		e.tier.cacheHits.Add(1)
		return b, nil
	}
	e.tier.cacheMisses.Add(1)
	o := e.tier.opts.Load()
	if o == nil {
		return nil, fmt.Errorf("%w: segment %d is tiered: %w", ErrTierUnavailable, r.t.Seg, ErrTierNotConfigured)
	}
	start := c * tierChunk
	n := min(int64(tierChunk), r.t.Size-start)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	data, err := e.remoteRange(ctx, o, "read", &r.t, start, n)
	if err != nil {
		return nil, err
	}
	e.tier.cache.put(k, data)
	return data, nil
}

// blockCache is a small LRU of remote chunks.
type blockCache struct {
	mu    sync.Mutex
	cap   int64
	size  int64
	tick  uint64
	items map[cacheKey]*cacheItem
}

type cacheKey struct {
	seg   uint64
	chunk int64
}

type cacheItem struct {
	data []byte
	used uint64
}

func (c *blockCache) setCap(n int64) {
	c.mu.Lock()
	c.cap = n
	c.mu.Unlock()
}

func (c *blockCache) get(k cacheKey) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	it := c.items[k]
	if it == nil {
		return nil
	}
	c.tick++
	it.used = c.tick
	return it.data
}

func (c *blockCache) put(k cacheKey, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.items = map[cacheKey]*cacheItem{}
	}
	if int64(len(data)) > c.cap {
		return
	}
	if old := c.items[k]; old != nil {
		c.size -= int64(len(old.data))
	}
	c.tick++
	c.items[k] = &cacheItem{data: data, used: c.tick}
	c.size += int64(len(data))
	for c.size > c.cap {
		var victim cacheKey
		var oldest uint64 = ^uint64(0)
		for k, it := range c.items {
			if it.used < oldest {
				victim, oldest = k, it.used
			}
		}
		c.size -= int64(len(c.items[victim].data))
		delete(c.items, victim)
	}
}

// SegmentVersion is a version whose data lies (partly) in a segment.
type SegmentVersion struct {
	Bucket, Key, VersionID string
	Lock                   LockState
}

// SegmentContents lists the versions with data in segment id (admin
// status, tests of the remote lock).
func (e *Engine) SegmentContents(ctx context.Context, id uint64) ([]SegmentVersion, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	var out []SegmentVersion
	err := scanVersions(ctx, e.db, func(bucket, key string, v *version) error {
		for _, x := range v.Extents {
			if x.Seg == id {
				out = append(out, SegmentVersion{Bucket: bucket, Key: key, VersionID: v.id(), Lock: v.Lock})
				break
			}
		}
		return nil
	})
	return out, err
}

// TierOrphans lists the remote versions under the tier's segment prefix
// that no tiered segment records: uploads a crash interrupted before their
// record, or moves abandoned for a legal hold. They are locked until their
// retention (at least MinRetention) and wormstore never deletes them (the
// prefix may be shared with another server's tier).
func (e *Engine) TierOrphans(ctx context.Context) ([]RemoteVersion, error) {
	o := e.tier.opts.Load()
	if o == nil {
		return nil, ErrTierNotConfigured
	}
	e.compactMu.Lock() // no move between its upload and its record
	defer e.compactMu.Unlock()
	var all []RemoteVersion
	if err := e.remoteCall(ctx, o, "list", func(ctx context.Context) (err error) {
		all, err = o.Remote.List(ctx, o.Prefix+"segments/")
		return err
	}); err != nil {
		return nil, err
	}
	known := map[[2]string]bool{}
	e.tier.mu.Lock()
	for _, t := range e.tier.segs {
		known[[2]string{t.Key, t.VersionID}] = true
	}
	e.tier.mu.Unlock()
	var out []RemoteVersion
	for _, v := range all {
		if !known[[2]string{v.Key, v.VersionID}] {
			out = append(out, v)
		}
	}
	return out, nil
}
