package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	randv2 "math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"
)

// memTier is an in-memory Object-Lock bucket judged on the test's clock:
// versioned objects, COMPLIANCE retention that can only be extended,
// legal holds, deletes refused while locked. fail makes the next calls of
// an operation fail (transient errors); corrupt flips a byte of what GET
// returns.
type memTier struct {
	mu      sync.Mutex
	clock   func() time.Time
	objs    map[string]*memObj // key + "\x00" + version
	next    int
	fail    map[string]int
	corrupt bool
	calls   map[string]int
}

type memObj struct {
	data  []byte
	crc   string
	until time.Time
	hold  bool
}

var errMemUnavailable = errors.New("memtier: 503 SlowDown")

func newMemTier(clock func() time.Time) *memTier {
	return &memTier{clock: clock, objs: map[string]*memObj{}, fail: map[string]int{}, calls: map[string]int{}}
}

func (m *memTier) Describe() string { return "mem://tier/" }

func (m *memTier) failing(op string) error {
	m.calls[op]++
	if m.fail[op] > 0 {
		m.fail[op]--
		return errMemUnavailable
	}
	return nil
}

func (m *memTier) Check(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.failing("check")
}

func (m *memTier) Put(ctx context.Context, key string, r io.ReaderAt, size int64, crc string, until time.Time) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failing("put"); err != nil {
		return "", err
	}
	data := make([]byte, size)
	if _, err := r.ReadAt(data, 0); err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	got, _ := crcOf(bytes.NewReader(data), size)
	if got != crc {
		return "", fmt.Errorf("memtier: BadDigest")
	}
	m.next++
	vid := fmt.Sprintf("v%04d", m.next)
	m.objs[key+"\x00"+vid] = &memObj{data: data, crc: crc, until: until}
	return vid, nil
}

func (m *memTier) obj(key, vid string) (*memObj, error) {
	o := m.objs[key+"\x00"+vid]
	if o == nil {
		return nil, fmt.Errorf("memtier: NoSuchVersion %s %s: %w", key, vid, ErrRemoteNotFound)
	}
	return o, nil
}

func (m *memTier) GetRange(ctx context.Context, key, vid string, off, n int64) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failing("get"); err != nil {
		return nil, err
	}
	o, err := m.obj(key, vid)
	if err != nil {
		return nil, err
	}
	b := bytes.Clone(o.data[off : off+n])
	if m.corrupt && len(b) > 100 {
		b[100] ^= 1
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memTier) Head(ctx context.Context, key, vid string) (RemoteObject, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failing("head"); err != nil {
		return RemoteObject{}, err
	}
	o, err := m.obj(key, vid)
	if err != nil {
		return RemoteObject{}, err
	}
	return RemoteObject{Size: int64(len(o.data)), CRC64NVME: o.crc, Mode: ModeCompliance, RetainUntil: o.until, LegalHold: o.hold}, nil
}

func (m *memTier) SetRetention(ctx context.Context, key, vid string, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failing("retention"); err != nil {
		return err
	}
	o, err := m.obj(key, vid)
	if err != nil {
		return err
	}
	if until.Before(o.until) {
		return fmt.Errorf("memtier: AccessDenied: COMPLIANCE cannot be shortened")
	}
	o.until = until
	return nil
}

func (m *memTier) SetLegalHold(ctx context.Context, key, vid string, on bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failing("hold"); err != nil {
		return err
	}
	o, err := m.obj(key, vid)
	if err != nil {
		return err
	}
	o.hold = on
	return nil
}

func (m *memTier) Delete(ctx context.Context, key, vid string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failing("delete"); err != nil {
		return err
	}
	o, err := m.obj(key, vid)
	if err != nil {
		return err
	}
	if o.hold || o.until.After(m.clock()) {
		return fmt.Errorf("memtier: AccessDenied: object is locked")
	}
	delete(m.objs, key+"\x00"+vid)
	return nil
}

func (m *memTier) List(ctx context.Context, prefix string) ([]RemoteVersion, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failing("list"); err != nil {
		return nil, err
	}
	var out []RemoteVersion
	for k, o := range m.objs {
		key, vid, _ := strings.Cut(k, "\x00")
		if strings.HasPrefix(key, prefix) {
			out = append(out, RemoteVersion{Key: key, VersionID: vid, Size: int64(len(o.data))})
		}
	}
	return out, nil
}

func (m *memTier) lock(key, vid string) (time.Time, bool, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o := m.objs[key+"\x00"+vid]
	if o == nil {
		return time.Time{}, false, false
	}
	return o.until, o.hold, true
}

func tierOpts(m *memTier) *TierOptions {
	return &TierOptions{Remote: m, Prefix: "ws/", RetryBase: time.Millisecond, Retries: 3, CacheBytes: 64 << 10}
}

// populateTier writes locked, unlocked and (optionally) held versions
// into sealed segments and returns what was acknowledged.
func populateTier(t *testing.T, e *Engine, clock *fakeClock, hold bool) *acked {
	ack := newAcked()
	require.NoError(t, e.CreateBucket(ctx, "lk", CreateBucketOptions{ObjectLock: true}))
	require.NoError(t, e.CreateBucket(ctx, "plain", CreateBucketOptions{}))
	for i := 0; i < 24; i++ {
		data := randBytes(i, 3000+i*97)
		info := put(t, e, "plain", fmt.Sprintf("p%d", i), data)
		ack.set(ackedVersion{"plain", info.Key, info.VersionID, data, info.Lock})
		ld := textBytes(i, 2500+i*31)
		info, err := e.PutObject(ctx, "lk", fmt.Sprintf("l%d", i), bytes.NewReader(ld), PutOptions{Size: int64(len(ld)),
			Retention: &Retention{ModeCompliance, clock.Now().Add(time.Duration(48+i) * time.Hour)}, LegalHold: hold && i == 20})
		require.NoError(t, err)
		ack.set(ackedVersion{"lk", info.Key, info.VersionID, ld, info.Lock})
	}
	require.NoError(t, e.segs.Seal())
	return ack
}

// tierable returns the sealed local segments.
func sealedLocal(e *Engine) []uint64 {
	var ids []uint64
	for _, si := range e.Segments() {
		if si.Sealed && !si.Remote {
			ids = append(ids, si.ID)
		}
	}
	return ids
}

func readAll(t *testing.T, e *Engine, want map[string]ackedVersion) {
	t.Helper()
	for name, v := range want {
		data, err := readObject(e, v.bucket, v.key, v.vid)
		require.NoError(t, err, "read %s", name)
		require.True(t, bytes.Equal(v.data, data), "data of %s differs", name)
		o, err := e.OpenObject(ctx, v.bucket, v.key, v.vid)
		require.NoError(t, err)
		require.Equal(t, v.lock, o.Info.Lock, "lock of %s", name)
	}
}

// maxUntilIn returns the latest retain-until of the versions in segment id.
func maxUntilIn(t *testing.T, e *Engine, id uint64) time.Time {
	var u time.Time
	require.NoError(t, scanRefs(ctx, e.db, func(r extentRef) error {
		if r.ext.Seg == id && r.v != nil {
			u = laterOf(u, r.v.Lock.Retention.Until)
		}
		return nil
	}))
	return u
}

// openTierTest opens a test engine on a fresh MemFS with an in-memory
// remote tier; it returns the engine, its options, the remote and the
// clock.
func openTierTest(t *testing.T) (*Engine, Options, *memTier, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	mem := newMemTier(clock.Now)
	opts := testOptions(vfs.NewMem(), clock)
	opts.Tier = tierOpts(mem)
	return openTest(t, opts), opts, mem, clock
}

// TestTierMoveReadReopen moves every sealed segment, checks the local files
// are gone, the remote objects carry COMPLIANCE retention at least until
// every contained version's, reads everything back byte-exact, reopens and
// reads again, verifies with and without --remote, and that compaction
// leaves tiered segments alone.
func TestTierMoveReadReopen(t *testing.T) {
	clock := newFakeClock()
	mem := newMemTier(clock.Now)
	fs := vfs.NewMem()
	opts := testOptions(fs, clock)
	opts.Tier = tierOpts(mem)
	e := openTest(t, opts)
	ack := populateTier(t, e, clock, false)
	ids := sealedLocal(e)
	require.GreaterOrEqual(t, len(ids), 2)
	for _, id := range ids {
		want := maxUntilIn(t, e, id)
		res, err := e.TierSegment(ctx, id)
		require.NoError(t, err, "segment %d", id)
		until, _, ok := mem.lock(res.Key, res.VersionID)
		require.True(t, ok)
		require.False(t, until.Before(want), "remote retain-until %s before contained %s", until, want)
		_, err = fs.Stat(fs.PathJoin("/data", segmentsDir, fmt.Sprintf("%016x.seg", id)))
		require.True(t, oserrorIsNotExist(err), "local file of tiered segment %d still there: %v", id, err)
	}
	_, err := e.TierSegment(ctx, ids[0])
	require.ErrorIs(t, err, ErrTierNotEligible)
	readAll(t, e, ack.snapshot())
	require.Positive(t, e.TierStatus().CacheMisses)

	res, err := e.Compact(ctx, CompactOptions{SealActive: true, MinGarbage: 0})
	require.NoError(t, err)
	require.Zero(t, res.SegmentsRewritten, "compaction rewrote a tiered segment")

	rep, err := e.VerifyWith(ctx, VerifyOptions{Remote: true}, nil)
	require.NoError(t, err)
	require.Empty(t, rep.Problems)
	rep, err = e.Verify(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, rep.Problems)
	require.Equal(t, len(ids), rep.RemoteSkipped)

	require.NoError(t, e.Close())
	e = openTest(t, opts)
	readAll(t, e, ack.snapshot())
	require.Len(t, e.TieredSegments(), len(ids))
	// The id of a tiered segment is never reused by a new segment.
	put(t, e, "plain", "after", []byte("new data after reopen"))
	for _, si := range e.Segments() {
		if !si.Remote {
			require.Greater(t, si.ID, ids[len(ids)-1])
		}
	}
	require.NoError(t, Rebuild(ctx, func() Options { require.NoError(t, e.Close()); return opts }()))
	e = openTest(t, opts)
	readAll(t, e, ack.snapshot())
}

// TestTierLegalHoldStaysLocal: a segment holding a legal-held version is
// not moved (documented decision), and a hold set later on a tiered
// version is carried to the remote object before it is acknowledged.
func TestTierLegalHoldStaysLocal(t *testing.T) {
	e, _, mem, clock := openTierTest(t)
	ack := populateTier(t, e, clock, true)
	o, err := e.OpenObject(ctx, "lk", "l20", "")
	require.NoError(t, err)
	heldSeg := o.exts[0].Seg
	_, err = e.TierSegment(ctx, heldSeg)
	require.ErrorIs(t, err, ErrTierNotEligible)
	require.True(t, e.segs.HasLocal(heldSeg))

	// Hold set after the move: remote hold first.
	o, err = e.OpenObject(ctx, "lk", "l3", "")
	require.NoError(t, err)
	seg := o.exts[0].Seg
	require.NotEqual(t, heldSeg, seg)
	res, err := e.TierSegment(ctx, seg)
	require.NoError(t, err)
	mem.mu.Lock()
	mem.fail["hold"] = 100
	mem.mu.Unlock()
	_, err = e.PutObjectLegalHold(ctx, "lk", "l3", o.Info.VersionID, true)
	require.ErrorIs(t, err, ErrTierUnavailable, "a hold the remote cannot carry must not be acknowledged")
	lk, err := e.GetObjectLegalHold(ctx, "lk", "l3", o.Info.VersionID)
	require.ErrorIs(t, err, ErrNoSuchLockConfiguration, "refused hold is not in force locally: %v", lk)
	mem.mu.Lock()
	mem.fail["hold"] = 0
	mem.mu.Unlock()
	_, err = e.PutObjectLegalHold(ctx, "lk", "l3", o.Info.VersionID, true)
	require.NoError(t, err)
	_, held, _ := mem.lock(res.Key, res.VersionID)
	require.True(t, held)
	readAll(t, e, func() map[string]ackedVersion {
		m := ack.snapshot()
		delete(m, "lk/l3@"+o.Info.VersionID)
		return m
	}())
}

// TestTierRetentionExtendedRemotelyFirst: extending a tiered version's
// retention extends the remote object first; if the remote cannot, the
// extension is refused (never acknowledged locally only).
func TestTierRetentionExtendedRemotelyFirst(t *testing.T) {
	e, _, mem, clock := openTierTest(t)
	populateTier(t, e, clock, false)
	o, err := e.OpenObject(ctx, "lk", "l5", "")
	require.NoError(t, err)
	res, err := e.TierSegment(ctx, o.exts[0].Seg)
	require.NoError(t, err)
	later := clock.Now().Add(24 * 365 * time.Hour).Truncate(time.Second)

	mem.mu.Lock()
	mem.fail["retention"] = 100
	mem.mu.Unlock()
	_, _, err = e.PutObjectRetention(ctx, "lk", "l5", o.Info.VersionID, Retention{ModeCompliance, later}, false)
	require.ErrorIs(t, err, ErrTierUnavailable)
	r, err := e.GetObjectRetention(ctx, "lk", "l5", o.Info.VersionID)
	require.NoError(t, err)
	require.True(t, r.Until.Before(later), "refused extension in force locally")
	require.NotEmpty(t, e.TierWarning())
	require.Positive(t, e.TierStatus().Retries)

	mem.mu.Lock()
	mem.fail["retention"] = 0
	mem.mu.Unlock()
	_, _, err = e.PutObjectRetention(ctx, "lk", "l5", o.Info.VersionID, Retention{ModeCompliance, later}, false)
	require.NoError(t, err)
	until, _, _ := mem.lock(res.Key, res.VersionID)
	require.False(t, until.Before(later))
	rep, err := e.VerifyWith(ctx, VerifyOptions{Remote: true}, nil)
	require.NoError(t, err)
	require.Empty(t, rep.Problems)
}

// TestTierRemoteFailures: transient errors are retried with backoff and
// counted; a remote that keeps failing, or returns wrong bytes, leaves
// the segment local and readable.
func TestTierRemoteFailures(t *testing.T) {
	e, _, mem, clock := openTierTest(t)
	ack := populateTier(t, e, clock, false)
	ids := sealedLocal(e)

	mem.fail["put"] = 2
	_, err := e.TierSegment(ctx, ids[0])
	require.NoError(t, err)
	require.Equal(t, 3, mem.calls["put"])
	require.EqualValues(t, 2, e.TierStatus().Retries)

	mem.fail["put"] = 100
	_, err = e.TierSegment(ctx, ids[1])
	require.ErrorIs(t, err, ErrTierUnavailable)
	require.True(t, e.segs.HasLocal(ids[1]))
	mem.fail["put"] = 0

	mem.corrupt = true
	_, err = e.TierSegment(ctx, ids[1])
	require.ErrorIs(t, err, ErrTierVerify)
	require.True(t, e.segs.HasLocal(ids[1]))
	require.False(t, e.isTiered(ids[1]))
	mem.corrupt = false
	orphans, err := e.TierOrphans(ctx)
	require.NoError(t, err)
	require.Len(t, orphans, 1, "the upload that failed verification is an orphan")
	require.Equal(t, TierKey("ws/", ids[1]), orphans[0].Key)
	readAll(t, e, ack.snapshot())

	// Reads of tiered data survive transient GET failures.
	e.tier.cache = blockCache{cap: 64 << 10}
	mem.fail["get"] = 2
	readAll(t, e, ack.snapshot())
}

// TestTierCollect: a tiered segment's remote object is deleted only once
// nothing references it and its remote retention has passed.
func TestTierCollect(t *testing.T) {
	e, opts, mem, clock := openTierTest(t)
	require.NoError(t, e.CreateBucket(ctx, "plain", CreateBucketOptions{}))
	var keys []string
	for i := 0; i < 30; i++ {
		k := fmt.Sprintf("p%d", i)
		put(t, e, "plain", k, randBytes(i, 4000))
		keys = append(keys, k)
	}
	require.NoError(t, e.segs.Seal())
	id := sealedLocal(e)[0]
	res, err := e.TierSegment(ctx, id)
	require.NoError(t, err)
	// Referenced: kept whatever the time.
	clock.Advance(72 * time.Hour)
	removed, err := e.TierCollect(ctx)
	require.NoError(t, err)
	require.Empty(t, removed)
	for _, k := range keys {
		_, err := e.DeleteObject(ctx, "plain", k, DeleteOptions{})
		require.NoError(t, err)
	}
	// Unreferenced but still retained remotely: kept.
	mem.mu.Lock()
	mem.objs[res.Key+"\x00"+res.VersionID].until = clock.Now().Add(time.Hour)
	mem.mu.Unlock()
	_, err = e.TierCollect(ctx)
	require.Error(t, err, "remote refuses to delete a locked object")
	require.True(t, e.isTiered(id))
	mem.mu.Lock()
	mem.objs[res.Key+"\x00"+res.VersionID].until = clock.Now()
	mem.mu.Unlock()
	// A crash after the remote delete, before its record: the next run
	// finds the version gone and records the removal.
	mem.mu.Lock()
	delete(mem.objs, res.Key+"\x00"+res.VersionID)
	mem.mu.Unlock()
	removed, err = e.TierCollect(ctx)
	require.NoError(t, err)
	require.Equal(t, []uint64{id}, removed)
	_, _, ok := mem.lock(res.Key, res.VersionID)
	require.False(t, ok)
	require.False(t, e.isTiered(id))
	require.NoError(t, e.Close())
	e = openTest(t, opts)
	require.Empty(t, e.TieredSegments())
}

// TestTierRetentionDuringMove: a retention extended while the upload runs
// is carried to the remote before the move is recorded.
func TestTierRetentionDuringMove(t *testing.T) {
	e, _, mem, clock := openTierTest(t)
	populateTier(t, e, clock, false)
	o, err := e.OpenObject(ctx, "lk", "l7", "")
	require.NoError(t, err)
	later := clock.Now().Add(10 * 365 * 24 * time.Hour).Truncate(time.Second)
	e.tierSeams = &tierSeams{afterUpload: func() {
		_, _, err := e.PutObjectRetention(ctx, "lk", "l7", o.Info.VersionID, Retention{ModeCompliance, later}, false)
		require.NoError(t, err)
	}}
	res, err := e.TierSegment(ctx, o.exts[0].Seg)
	require.NoError(t, err)
	until, _, _ := mem.lock(res.Key, res.VersionID)
	require.False(t, until.Before(later), "remote %s, local %s", until, later)
}

// TestCrashPointsTier crashes at every file operation of a move, and
// between its remote steps: after reopening, every acknowledged version
// reads back (local, or remote and verified), and the store verifies.
func TestCrashPointsTier(t *testing.T) {
	clock := newFakeClock()
	mem := newMemTier(clock.Now)
	var target uint64
	forEachCrashPoint(t, func(e *Engine) *acked {
		ack := populateTier(t, e, clock, false)
		target = sealedLocal(e)[1]
		return ack
	}, func(e *Engine) error {
		e.SetTier(tierOpts(mem))
		_, err := e.TierSegment(ctx, target)
		return err
	}, func(t *testing.T, fs vfs.FS, want map[string]ackedVersion) {
		opts := testOptions(fs, clock)
		opts.Tier = tierOpts(mem)
		checkAcked(t, fs, opts, want, nil)
	})

	// Crashes between the remote steps (no file operation there).
	for _, step := range []string{"afterUpload", "afterVerify", "afterRecord"} {
		t.Run(step, func(t *testing.T) {
			base := vfs.NewCrashableMem()
			opts := testOptions(base, clock)
			opts.Tier = tierOpts(mem)
			e, err := Open(ctx, opts)
			require.NoError(t, err)
			ack := populateTier(t, e, clock, false)
			var clone *vfs.MemFS
			hook := func() {
				clone = base.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 50, RNG: randv2.New(randv2.NewPCG(2, 2))})
			}
			s := &tierSeams{}
			switch step {
			case "afterUpload":
				s.afterUpload = hook
			case "afterVerify":
				s.afterVerify = hook
			default:
				s.afterRecord = hook
			}
			e.tierSeams = s
			_, err = e.TierSegment(ctx, sealedLocal(e)[0])
			require.NoError(t, err)
			require.NoError(t, e.Close())
			require.NotNil(t, clone)
			o := testOptions(clone, clock)
			o.Tier = tierOpts(mem)
			checkAcked(t, clone, o, ack.snapshot(), nil)
		})
	}
}

// TestTierFaultInjection: EIO after N file writes during moves returns an
// error; after reopening on the crash state nothing acknowledged is lost
// (each segment local, or remote and verified).
func TestTierFaultInjection(t *testing.T) {
	for _, after := range []int32{1, 2, 3, 5, 8, 13} {
		t.Run(fmt.Sprint("after-", after), func(t *testing.T) {
			clock := newFakeClock()
			mt := newMemTier(clock.Now)
			mem := vfs.NewCrashableMem()
			var armed atomic.Bool
			var count atomic.Int32
			inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
				if !armed.Load() || op.Kind.ReadOrWrite() != errorfs.OpIsWrite {
					return nil
				}
				if count.Add(1) > after {
					return syscall.EIO
				}
				return nil
			})
			opts := testOptions(errorfs.Wrap(mem, inj), clock)
			opts.Tier = tierOpts(mt)
			e, err := Open(ctx, opts)
			require.NoError(t, err)
			ack := populateTier(t, e, clock, false)
			armed.Store(true)
			var firstErr error
			for _, id := range sealedLocal(e) {
				if _, err := e.TierSegment(ctx, id); err != nil {
					firstErr = err
					break
				}
			}
			_ = e.Close()
			armed.Store(false)
			t.Logf("first error: %v", firstErr)
			o := testOptions(mem.CrashClone(vfs.CrashCloneCfg{}), clock)
			o.Tier = tierOpts(mt)
			checkAcked(t, o.FS, o, ack.snapshot(), nil)
		})
	}
}

// TestTierExtendNeverShortensRemote: when the remote already holds a
// later retain-until than recorded (a crash after an extension, before its
// record), a smaller extension is not sent (COMPLIANCE cannot shorten) and
// the remote's date is recorded.
func TestTierExtendNeverShortensRemote(t *testing.T) {
	e, _, mem, clock := openTierTest(t)
	populateTier(t, e, clock, false)
	o, err := e.OpenObject(ctx, "lk", "l2", "")
	require.NoError(t, err)
	res, err := e.TierSegment(ctx, o.exts[0].Seg)
	require.NoError(t, err)
	far := clock.Now().Add(5 * 365 * 24 * time.Hour).Truncate(time.Second)
	require.NoError(t, mem.SetRetention(ctx, res.Key, res.VersionID, far))
	mid := clock.Now().Add(2 * 365 * 24 * time.Hour).Truncate(time.Second)
	_, _, err = e.PutObjectRetention(ctx, "lk", "l2", o.Info.VersionID, Retention{ModeCompliance, mid}, false)
	require.NoError(t, err)
	until, _, _ := mem.lock(res.Key, res.VersionID)
	require.True(t, until.Equal(far))
	for _, ts := range e.TieredSegments() {
		if ts.ID == res.Segment {
			require.True(t, ts.RetainUntil.Equal(far), "recorded %s, remote %s", ts.RetainUntil, far)
		}
	}
	require.Zero(t, mem.calls["retention"]-1, "no shortening request sent")
}

// lowDiskFS reports a disk of total bytes of which the segment files use
// what they use (vfs.MemFS has no disk usage).
type lowDiskFS struct {
	vfs.FS
	total uint64
}

func (f *lowDiskFS) segBytes() uint64 {
	dir := f.PathJoin("/data", segmentsDir)
	names, _ := f.List(dir)
	var used uint64
	for _, n := range names {
		if fi, err := f.Stat(f.PathJoin(dir, n)); err == nil && !fi.IsDir() {
			used += uint64(fi.Size())
		}
	}
	return used
}

func (f *lowDiskFS) GetDiskUsage(string) (vfs.DiskUsage, error) {
	used := f.segBytes()
	return vfs.DiskUsage{AvailBytes: f.total - used, TotalBytes: f.total, UsedBytes: used}, nil
}

// TestTierPolicy: the age rule moves sealed segments older than MinAge
// (and nothing younger); the free-space rule moves the oldest segments
// only until the free fraction is back above MinFreeFraction; segments
// that must stay local are skipped.
func TestTierPolicy(t *testing.T) {
	t.Run("age", func(t *testing.T) {
		clock := newFakeClock()
		clock.Set(time.Now().UTC())
		mem := newMemTier(clock.Now)
		opts := testOptions(vfs.NewMem(), clock)
		to := tierOpts(mem)
		to.MinAge = time.Hour
		opts.Tier = to
		e := openTest(t, opts)
		ack := populateTier(t, e, clock, true)
		moved, err := e.TierPolicy(ctx)
		require.NoError(t, err)
		require.Empty(t, moved, "segments younger than MinAge moved")
		clock.Advance(2 * time.Hour)
		moved, err = e.TierPolicy(ctx)
		require.NoError(t, err)
		local := sealedLocal(e)
		require.NotEmpty(t, moved)
		require.Len(t, local, 1, "only the segment with the legal-held version stays local")
		o, err := e.OpenObject(ctx, "lk", "l20", "")
		require.NoError(t, err)
		require.Equal(t, o.exts[0].Seg, local[0])
		readAll(t, e, ack.snapshot())
	})
	t.Run("free-space", func(t *testing.T) {
		clock := newFakeClock()
		clock.Set(time.Now().UTC())
		mem := newMemTier(clock.Now)
		fs := &lowDiskFS{FS: vfs.NewMem()}
		opts := testOptions(fs, clock)
		to := tierOpts(mem)
		to.MinAge, to.MinFreeFraction = 0, 0.5
		opts.Tier = to
		e := openTest(t, opts)
		ack := populateTier(t, e, clock, false)
		before := sealedLocal(e)
		require.GreaterOrEqual(t, len(before), 2)
		fs.total = 10 << 30 // plenty of space: nothing moves
		moved, err := e.TierPolicy(ctx)
		require.NoError(t, err)
		require.Empty(t, moved)
		used := fs.segBytes()
		fs.total = uint64(float64(used) / 0.55) // 45 % free: below 50 %
		moved, err = e.TierPolicy(ctx)
		require.NoError(t, err)
		require.Equal(t, before[:1], moved, "the oldest segment moves, then there is room again")
		du, _ := fs.GetDiskUsage("/data")
		require.GreaterOrEqual(t, float64(du.AvailBytes)/float64(du.TotalBytes), 0.5)
		readAll(t, e, ack.snapshot())
	})
}

// TestTierCheckFindsTieredSegments: the check fails, naming the segment,
// when the configured remote does not hold the tiered segments (a wrong
// endpoint, bucket or prefix), and the failure shows in the status.
func TestTierCheckFindsTieredSegments(t *testing.T) {
	e, _, mem, clock := openTierTest(t)
	populateTier(t, e, clock, false)
	require.NoError(t, e.TierCheck(ctx))
	id := sealedLocal(e)[0]
	_, err := e.TierSegment(ctx, id)
	require.NoError(t, err)
	require.NoError(t, e.TierCheck(ctx))
	e.SetTier(tierOpts(newMemTier(clock.Now))) // another, empty remote
	err = e.TierCheck(ctx)
	require.ErrorIs(t, err, ErrTierUnavailable)
	require.ErrorContains(t, err, fmt.Sprintf("tiered segment %d", id))
	require.Contains(t, e.TierWarning(), "check-segment")
	e.SetTier(tierOpts(mem))
}
