package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The soak workload and its model of what the server acknowledged.
//
// Each worker owns its keys (prefix "w<id>/") in both buckets and has at
// most one request in flight, so its model needs no locking and the order
// of its acknowledged operations is the order the server applied them.
// An operation that failed (the kill cut it off, or the disk was full) may
// or may not have landed: it is kept as "pending" next to the acknowledged
// state, and the next check accepts either outcome and, after a restart,
// adopts the one it sees.

const (
	soakLockBucket  = "soak-lock"  // Object Lock (so versioned)
	soakPlainBucket = "soak-plain" // unversioned: overwrites and deletes

	soakLockKeys  = 12 // keys per worker in the lock bucket (many versions each)
	soakPlainKeys = 24 // keys per worker in the plain bucket

	soakOpTimeout = 60 * time.Second // a request slower than this is a hang
)

// soakVersion is one acknowledged version in the lock bucket.
type soakVersion struct {
	key, vid string
	sum      [32]byte
	size     int64

	ret     time.Time // acknowledged COMPLIANCE retain-until; zero = none
	hold    bool      // acknowledged legal hold
	holdSet bool      // a legal hold (ON or OFF) was acknowledged
	deleted bool      // an acknowledged DeleteObject removed it

	// Unacknowledged changes that may have landed.
	pendRets   []time.Time
	pendHolds  []bool
	pendDelete bool

	fresh bool // changed since the last check (always checked)
}

func (v *soakVersion) pending() bool {
	return len(v.pendRets) > 0 || len(v.pendHolds) > 0 || v.pendDelete
}

// maxRet is the latest retain-until the server may hold for v.
func (v *soakVersion) maxRet() time.Time {
	m := v.ret
	for _, r := range v.pendRets {
		if r.After(m) {
			m = r
		}
	}
	return m
}

// soakPendingPut is a lock-bucket PUT without an answer.
type soakPendingPut struct {
	key  string
	sum  [32]byte
	size int64
	ret  time.Time
}

type soakPlainState struct {
	exists bool
	sum    [32]byte
	size   int64
}

// soakPlain is one key of the plain bucket.
type soakPlain struct {
	acked soakPlainState
	pend  []soakPlainState
	fresh bool
}

// soakWorker drives one client goroutine and models its keys.
type soakWorker struct {
	id       int
	rng      *rand.Rand
	src      *rand.ChaCha8 // body bytes
	n        int           // bodies made
	maxBody  int           // cap on body size; 0 = default distribution
	versions []*soakVersion
	pendPuts []soakPendingPut
	plain    map[string]*soakPlain
	acks     map[string]int // acknowledged operations by name
	fails    map[string]int // unacknowledged operations by name
}

func newSoakWorker(seed uint64, id int) *soakWorker {
	var cs [32]byte
	binary.LittleEndian.PutUint64(cs[:], seed)
	binary.LittleEndian.PutUint64(cs[8:], uint64(id))
	return &soakWorker{
		id: id, rng: rand.New(rand.NewPCG(seed, uint64(id))), src: rand.NewChaCha8(cs),
		plain: map[string]*soakPlain{}, acks: map[string]int{}, fails: map[string]int{},
	}
}

// soakErrFunc is told about every failed request: op names the operation.
// It reports the failure if it is not acceptable at that moment.
type soakErrFunc func(op string, err error)

// body returns a new body with a unique prefix; sizes span empty, small,
// and multi-block (the default block is 1 MiB) objects, half of them
// incompressible.
func (w *soakWorker) body() ([]byte, [32]byte) {
	w.n++
	var size int
	switch p := w.rng.IntN(100); {
	case p < 2:
		size = 0
	case p < 50:
		size = 1 + w.rng.IntN(1<<10)
	case p < 89:
		size = 1<<10 + w.rng.IntN(63<<10)
	case p < 98:
		size = 64<<10 + w.rng.IntN(448<<10)
	default:
		size = 512<<10 + w.rng.IntN(1536<<10) // up to 2 MiB: spans blocks
	}
	if w.maxBody > 0 && size > w.maxBody {
		size = w.rng.IntN(w.maxBody + 1)
	}
	b := make([]byte, size)
	tag := fmt.Sprintf("soak w%d n%d ", w.id, w.n)
	if w.rng.IntN(2) == 0 {
		_, _ = w.src.Read(b)
	} else {
		for i := 0; i < len(b); i += len(tag) {
			copy(b[i:], tag)
		}
	}
	copy(b, tag)
	return b, sha256.Sum256(b)
}

// retainUntil is a COMPLIANCE date a few hours to days ahead, in whole
// seconds (the API carries milliseconds), so it outlives even a long soak.
func (w *soakWorker) retainUntil(after time.Time) time.Time {
	now := time.Now()
	if after.Before(now.Add(3 * time.Hour)) {
		after = now.Add(3 * time.Hour)
	}
	return after.Add(time.Minute + time.Duration(w.rng.Int64N(int64(72*time.Hour)))).Truncate(time.Second).UTC()
}

// pickVersion returns a random live version without pending changes that
// satisfies ok, or nil.
func (w *soakWorker) pickVersion(ok func(*soakVersion) bool) *soakVersion {
	if len(w.versions) == 0 {
		return nil
	}
	for range 24 {
		v := w.versions[w.rng.IntN(len(w.versions))]
		if !v.deleted && !v.pending() && ok(v) {
			return v
		}
	}
	return nil
}

// step performs one random operation and records its outcome.
func (w *soakWorker) step(c *s3.Client, onErr soakErrFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), soakOpTimeout)
	defer cancel()
	anyVersion := func(*soakVersion) bool { return true }
	switch p := w.rng.IntN(100); {
	case p < 24:
		w.putLock(ctx, c, true, onErr)
	case p < 34:
		w.putLock(ctx, c, false, onErr)
	case p < 46:
		if v := w.pickVersion(anyVersion); v != nil {
			w.extend(ctx, c, v, onErr)
		}
	case p < 53:
		if v := w.pickVersion(anyVersion); v != nil {
			w.legalHold(ctx, c, v, true, onErr)
		}
	case p < 57:
		if v := w.pickVersion(func(v *soakVersion) bool { return v.hold }); v != nil {
			w.legalHold(ctx, c, v, false, onErr)
		}
	case p < 62:
		if v := w.pickVersion(func(v *soakVersion) bool { return v.ret.IsZero() && !v.hold }); v != nil {
			w.deleteVersion(ctx, c, v, onErr)
		}
	case p < 65:
		if v := w.pickVersion(func(v *soakVersion) bool { return v.ret.After(time.Now().Add(time.Minute)) || v.hold }); v != nil {
			w.denyDelete(ctx, c, v, w.rng.IntN(2) == 0, onErr)
		}
	case p < 91:
		w.putPlain(ctx, c, onErr)
	default:
		w.deletePlain(ctx, c, onErr)
	}
}

func (w *soakWorker) putLock(ctx context.Context, c *s3.Client, locked bool, onErr soakErrFunc) {
	key := fmt.Sprintf("w%d/obj%02d", w.id, w.rng.IntN(soakLockKeys))
	b, sum := w.body()
	in := &s3.PutObjectInput{Bucket: aws.String(soakLockBucket), Key: aws.String(key),
		Body: bytes.NewReader(b), ContentLength: aws.Int64(int64(len(b)))}
	var until time.Time
	op := "PutObject(plain)"
	if locked {
		op = "PutObject(COMPLIANCE)"
		until = w.retainUntil(time.Time{})
		in.ObjectLockMode = types.ObjectLockModeCompliance
		in.ObjectLockRetainUntilDate = aws.Time(until)
	}
	out, err := c.PutObject(ctx, in)
	if err != nil {
		w.fails[op]++
		w.pendPuts = append(w.pendPuts, soakPendingPut{key: key, sum: sum, size: int64(len(b)), ret: until})
		onErr(op+" "+key, err)
		return
	}
	w.acks[op]++
	if out.VersionId == nil || *out.VersionId == "" || *out.VersionId == "null" {
		onErr(op+" "+key, fmt.Errorf("acknowledged without a version id in a versioned bucket"))
		return
	}
	w.versions = append(w.versions, &soakVersion{key: key, vid: *out.VersionId, sum: sum, size: int64(len(b)), ret: until, fresh: true})
}

func (w *soakWorker) extend(ctx context.Context, c *s3.Client, v *soakVersion, onErr soakErrFunc) {
	until := w.retainUntil(v.maxRet())
	_, err := c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{
		Bucket: aws.String(soakLockBucket), Key: aws.String(v.key), VersionId: aws.String(v.vid),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(until)},
	})
	if err != nil {
		w.fails["PutObjectRetention"]++
		v.pendRets = append(v.pendRets, until)
		onErr(fmt.Sprintf("PutObjectRetention %s@%s until %s", v.key, v.vid, until.Format(time.RFC3339)), err)
		return
	}
	w.acks["PutObjectRetention"]++
	v.ret, v.fresh = until, true
}

func (w *soakWorker) legalHold(ctx context.Context, c *s3.Client, v *soakVersion, on bool, onErr soakErrFunc) {
	st, op := types.ObjectLockLegalHoldStatusOff, "PutObjectLegalHold(OFF)"
	if on {
		st, op = types.ObjectLockLegalHoldStatusOn, "PutObjectLegalHold(ON)"
	}
	_, err := c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{
		Bucket: aws.String(soakLockBucket), Key: aws.String(v.key), VersionId: aws.String(v.vid),
		LegalHold: &types.ObjectLockLegalHold{Status: st},
	})
	if err != nil {
		w.fails[op]++
		v.pendHolds = append(v.pendHolds, on)
		onErr(fmt.Sprintf("%s %s@%s", op, v.key, v.vid), err)
		return
	}
	w.acks[op]++
	v.hold, v.holdSet, v.fresh = on, true, true
}

func (w *soakWorker) deleteVersion(ctx context.Context, c *s3.Client, v *soakVersion, onErr soakErrFunc) {
	_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(soakLockBucket), Key: aws.String(v.key), VersionId: aws.String(v.vid)})
	if err != nil {
		w.fails["DeleteObject(version)"]++
		v.pendDelete = true
		onErr(fmt.Sprintf("DeleteObject %s@%s", v.key, v.vid), err)
		return
	}
	w.acks["DeleteObject(version)"]++
	v.deleted, v.fresh = true, true
}

// denyDelete tries to delete a retained or held version, which must be
// refused with 403 AccessDenied (with or without the governance bypass).
func (w *soakWorker) denyDelete(ctx context.Context, c *s3.Client, v *soakVersion, bypass bool, onErr soakErrFunc) {
	in := &s3.DeleteObjectInput{Bucket: aws.String(soakLockBucket), Key: aws.String(v.key), VersionId: aws.String(v.vid)}
	if bypass {
		in.BypassGovernanceRetention = aws.Bool(true)
	}
	_, err := c.DeleteObject(ctx, in)
	what := fmt.Sprintf("DeleteObject(locked, bypass=%v) %s@%s (retain-until %s, hold %v)", bypass, v.key, v.vid, v.ret.Format(time.RFC3339), v.hold)
	if err == nil {
		// A durability bug: model the loss so later checks do not pile up.
		v.deleted = true
		onErr(what, fmt.Errorf("a locked version was deleted"))
		return
	}
	if code, status := soakS3Error(err); code == "AccessDenied" && status == 403 {
		w.acks["DeleteObject(denied)"]++
		return
	}
	w.fails["DeleteObject(denied)"]++
	onErr(what, err)
}

func (w *soakWorker) plainKey() (string, *soakPlain) {
	key := fmt.Sprintf("w%d/p%02d", w.id, w.rng.IntN(soakPlainKeys))
	p := w.plain[key]
	if p == nil {
		p = &soakPlain{}
		w.plain[key] = p
	}
	return key, p
}

func (w *soakWorker) putPlain(ctx context.Context, c *s3.Client, onErr soakErrFunc) {
	key, p := w.plainKey()
	b, sum := w.body()
	st := soakPlainState{exists: true, sum: sum, size: int64(len(b))}
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(soakPlainBucket), Key: aws.String(key),
		Body: bytes.NewReader(b), ContentLength: aws.Int64(int64(len(b)))})
	if err != nil {
		w.fails["PutObject(overwrite)"]++
		p.pend = append(p.pend, st)
		onErr("PutObject(overwrite) "+key, err)
		return
	}
	w.acks["PutObject(overwrite)"]++
	p.acked, p.pend, p.fresh = st, nil, true
}

func (w *soakWorker) deletePlain(ctx context.Context, c *s3.Client, onErr soakErrFunc) {
	key, p := w.plainKey()
	_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(soakPlainBucket), Key: aws.String(key)})
	if err != nil {
		w.fails["DeleteObject(plain)"]++
		p.pend = append(p.pend, soakPlainState{})
		onErr("DeleteObject(plain) "+key, err)
		return
	}
	w.acks["DeleteObject(plain)"]++
	p.acked, p.pend, p.fresh = soakPlainState{}, nil, true
}

// soakCheck is one verification pass over the workers' models.
type soakCheck struct {
	c *s3.Client
	// sample is the probability that an unchanged, already checked version
	// is read again (1 = everything).
	sample float64
	// resolve adopts the outcome of pending operations as acknowledged
	// (after a restart: what recovery kept is durable). Without it, pending
	// operations stay pending and either outcome stays acceptable.
	resolve bool
	// denyDeletes tries to delete every checked locked version; it must be
	// refused with 403 AccessDenied, or, with failedEngine (the engine
	// refuses all writes after a disk-full I/O error until restarted),
	// with a 5xx.
	denyDeletes  bool
	failedEngine bool
	fail         func(format string, args ...any)
}

// check verifies worker w's keys against the server.
func (ck *soakCheck) check(w *soakWorker) (checked int) {
	ctx := context.Background()
	checked += ck.checkLockBucket(ctx, w)
	checked += ck.checkPlainBucket(ctx, w)
	return checked
}

type soakListed struct {
	key  string
	size int64
}

func (ck *soakCheck) listVersions(ctx context.Context, prefix string) (map[string]soakListed, bool) {
	listed := map[string]soakListed{}
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(soakLockBucket), Prefix: aws.String(prefix)}
	for {
		octx, cancel := context.WithTimeout(ctx, soakOpTimeout)
		out, err := ck.c.ListObjectVersions(octx, in)
		cancel()
		if err != nil {
			ck.fail("ListObjectVersions %s: %v", prefix, err)
			return nil, false
		}
		for _, dm := range out.DeleteMarkers {
			ck.fail("unexpected delete marker %s@%s (the soak never creates one)", aws.ToString(dm.Key), aws.ToString(dm.VersionId))
		}
		for _, v := range out.Versions {
			listed[aws.ToString(v.VersionId)] = soakListed{key: aws.ToString(v.Key), size: aws.ToInt64(v.Size)}
		}
		if !aws.ToBool(out.IsTruncated) {
			return listed, true
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
}

func (ck *soakCheck) checkLockBucket(ctx context.Context, w *soakWorker) (checked int) {
	listed, ok := ck.listVersions(ctx, fmt.Sprintf("w%d/", w.id))
	for _, v := range w.versions {
		l, isListed := listed[v.vid]
		delete(listed, v.vid)
		if !ok {
			continue
		}
		if v.deleted {
			if isListed {
				ck.fail("version %s@%s reappeared after its delete was acknowledged", v.key, v.vid)
			}
			continue
		}
		if v.pendDelete && !isListed {
			if ck.resolve {
				v.deleted, v.pendDelete = true, false
			}
			continue
		}
		if !isListed {
			ck.fail("acknowledged version %s@%s (%d bytes, retain-until %v, hold %v) is missing from ListObjectVersions",
				v.key, v.vid, v.size, v.ret, v.hold)
		} else if l.key != v.key || l.size != v.size {
			ck.fail("ListObjectVersions: version %s is %s (%d bytes), want %s (%d bytes)", v.vid, l.key, l.size, v.key, v.size)
		}
		if v.fresh || v.pending() || ck.sample >= 1 || w.rng.Float64() < ck.sample {
			checked++
			ck.checkVersion(ctx, w, v)
		}
	}
	// What is left must be PUTs that had no answer, each landing at most once.
	avail := slices.Clone(w.pendPuts)
	for vid, l := range listed {
		sum, _, err := ck.get(ctx, soakLockBucket, l.key, vid)
		if err != nil {
			ck.fail("GET listed version %s@%s that no acknowledged PUT created: %v", l.key, vid, err)
			continue
		}
		i := slices.IndexFunc(avail, func(p soakPendingPut) bool { return p.key == l.key && p.sum == sum && p.size == l.size })
		if i < 0 {
			ck.fail("unexpected version %s@%s (%d bytes, sha256 %x): no PUT without an answer sent it", l.key, vid, l.size, sum[:8])
			continue
		}
		p := avail[i]
		avail = slices.Delete(avail, i, i+1)
		if ck.resolve {
			v := &soakVersion{key: l.key, vid: vid, sum: p.sum, size: p.size, ret: p.ret, fresh: true}
			w.versions = append(w.versions, v)
			w.acks["PutObject(landed without answer)"]++
			checked++
			ck.checkVersion(ctx, w, v)
		}
	}
	if ck.resolve {
		w.pendPuts = nil
	}
	return checked
}

// get reads a version and returns its SHA-256.
func (ck *soakCheck) get(ctx context.Context, bucket, key, vid string) (sum [32]byte, size int64, err error) {
	ctx, cancel := context.WithTimeout(ctx, soakOpTimeout)
	defer cancel()
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if vid != "" {
		in.VersionId = aws.String(vid)
	}
	out, err := ck.c.GetObject(ctx, in)
	if err != nil {
		return sum, 0, err
	}
	defer out.Body.Close()
	h := sha256.New()
	size, err = io.Copy(h, out.Body)
	if err != nil {
		return sum, size, fmt.Errorf("reading body: %w", err)
	}
	if vid != "" && aws.ToString(out.VersionId) != vid {
		return sum, size, fmt.Errorf("answered version %q", aws.ToString(out.VersionId))
	}
	if out.ContentLength != nil && *out.ContentLength != size {
		return sum, size, fmt.Errorf("Content-Length %d but %d bytes", *out.ContentLength, size)
	}
	h.Sum(sum[:0])
	return sum, size, nil
}

func (ck *soakCheck) checkVersion(ctx context.Context, w *soakWorker, v *soakVersion) {
	name := v.key + "@" + v.vid
	sum, size, err := ck.get(ctx, soakLockBucket, v.key, v.vid)
	switch {
	case err != nil:
		ck.fail("GET acknowledged version %s: %v", name, err)
	case size != v.size || sum != v.sum:
		ck.fail("GET %s: %d bytes sha256 %x, want %d bytes sha256 %x", name, size, sum[:8], v.size, v.sum[:8])
	}

	octx, cancel := context.WithTimeout(ctx, soakOpTimeout)
	defer cancel()
	rout, err := ck.c.GetObjectRetention(octx, &s3.GetObjectRetentionInput{Bucket: aws.String(soakLockBucket), Key: aws.String(v.key), VersionId: aws.String(v.vid)})
	if err != nil {
		code, _ := soakS3Error(err)
		if code != "NoSuchObjectLockConfiguration" || !v.ret.IsZero() {
			ck.fail("GetObjectRetention %s: %v (acknowledged retain-until %v)", name, err, v.ret)
		}
	} else {
		got := aws.ToTime(rout.Retention.RetainUntilDate)
		switch {
		case rout.Retention.Mode != types.ObjectLockRetentionModeCompliance:
			ck.fail("GetObjectRetention %s: mode %q, want COMPLIANCE", name, rout.Retention.Mode)
		case got.Equal(v.ret):
		case slices.ContainsFunc(v.pendRets, got.Equal):
			if ck.resolve {
				v.ret = got
			}
		case got.Before(v.ret):
			ck.fail("GetObjectRetention %s: retain-until %s is before the acknowledged %s", name, got.Format(time.RFC3339), v.ret.Format(time.RFC3339))
		default:
			ck.fail("GetObjectRetention %s: retain-until %s was never sent (acknowledged %v, unacknowledged %v)", name, got.Format(time.RFC3339), v.ret, v.pendRets)
		}
	}
	if ck.resolve {
		v.pendRets = nil
	}

	hout, err := ck.c.GetObjectLegalHold(octx, &s3.GetObjectLegalHoldInput{Bucket: aws.String(soakLockBucket), Key: aws.String(v.key), VersionId: aws.String(v.vid)})
	if err != nil {
		code, _ := soakS3Error(err)
		if code != "NoSuchObjectLockConfiguration" || v.holdSet {
			ck.fail("GetObjectLegalHold %s: %v (acknowledged hold %v)", name, err, v.hold)
		}
	} else {
		on := hout.LegalHold.Status == types.ObjectLockLegalHoldStatusOn
		switch {
		case v.holdSet && on == v.hold:
		case slices.Contains(v.pendHolds, on):
			if ck.resolve {
				v.hold, v.holdSet = on, true
			}
		default:
			ck.fail("GetObjectLegalHold %s: %s, want ON=%v (set=%v; unacknowledged %v)", name, hout.LegalHold.Status, v.hold, v.holdSet, v.pendHolds)
		}
	}
	if ck.resolve {
		v.pendHolds = nil
		v.pendDelete = false // it is listed, so the delete did not land
		v.fresh = false
	}

	if ck.denyDeletes && (v.ret.After(time.Now().Add(time.Minute)) || v.hold) {
		ck.denyDelete(ctx, w, v)
	}
}

func (ck *soakCheck) denyDelete(ctx context.Context, w *soakWorker, v *soakVersion) {
	octx, cancel := context.WithTimeout(ctx, soakOpTimeout)
	defer cancel()
	bypass := w.rng.IntN(2) == 0
	in := &s3.DeleteObjectInput{Bucket: aws.String(soakLockBucket), Key: aws.String(v.key), VersionId: aws.String(v.vid)}
	if bypass {
		in.BypassGovernanceRetention = aws.Bool(true)
	}
	_, err := ck.c.DeleteObject(octx, in)
	if err == nil {
		v.deleted = true
		ck.fail("DeleteObject(bypass=%v) of locked version %s@%s (retain-until %s, hold %v) succeeded", bypass, v.key, v.vid, v.ret.Format(time.RFC3339), v.hold)
		return
	}
	code, status := soakS3Error(err)
	if ck.failedEngine && (status == 503 || status == 507 || status == 500) {
		return
	}
	if code != "AccessDenied" || status != 403 {
		ck.fail("DeleteObject(bypass=%v) of locked version %s@%s: %v, want 403 AccessDenied", bypass, v.key, v.vid, err)
	}
}

func (ck *soakCheck) checkPlainBucket(ctx context.Context, w *soakWorker) (checked int) {
	prefix := fmt.Sprintf("w%d/", w.id)
	listed := map[string]int64{}
	pg := s3.NewListObjectsV2Paginator(ck.c, &s3.ListObjectsV2Input{Bucket: aws.String(soakPlainBucket), Prefix: aws.String(prefix)})
	for pg.HasMorePages() {
		octx, cancel := context.WithTimeout(ctx, soakOpTimeout)
		out, err := pg.NextPage(octx)
		cancel()
		if err != nil {
			ck.fail("ListObjectsV2 %s: %v", prefix, err)
			return checked
		}
		for _, o := range out.Contents {
			listed[aws.ToString(o.Key)] = aws.ToInt64(o.Size)
		}
	}
	for key, p := range w.plain {
		checked++
		size, isListed := listed[key]
		delete(listed, key)
		sum, gsize, err := ck.get(ctx, soakPlainBucket, key, "")
		var got soakPlainState
		if err == nil {
			got = soakPlainState{exists: true, sum: sum, size: gsize}
		} else if code, _ := soakS3Error(err); code != "NoSuchKey" {
			ck.fail("GET %s/%s: %v", soakPlainBucket, key, err)
			continue
		}
		if got != p.acked && !slices.Contains(p.pend, got) {
			ck.fail("%s/%s: got exists=%v %d bytes sha256 %x, want exists=%v %d bytes sha256 %x (or one of %d unacknowledged writes)",
				soakPlainBucket, key, got.exists, got.size, got.sum[:8], p.acked.exists, p.acked.size, p.acked.sum[:8], len(p.pend))
		}
		if isListed != got.exists || (isListed && size != got.size) {
			ck.fail("ListObjectsV2 %s/%s: listed=%v size %d, but GET says exists=%v size %d", soakPlainBucket, key, isListed, size, got.exists, got.size)
		}
		if ck.resolve {
			p.acked, p.pend, p.fresh = got, nil, false
		}
	}
	for key := range listed {
		ck.fail("unexpected object %s/%s: no PUT for it was sent", soakPlainBucket, key)
	}
	return checked
}
