package s3api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
)

// auditEntriesAfter returns the audit entries with Seq > after.
func auditEntriesAfter(t *testing.T, eng *engine.Engine, after uint64) []engine.AuditEntry {
	t.Helper()
	var out []engine.AuditEntry
	require.NoError(t, eng.AuditEntries(context.Background(), after+1, func(a engine.AuditEntry) error {
		out = append(out, a)
		return nil
	}))
	return out
}

// TestAuditFailureAnswers503: with the audit log's disk full (and only
// it), a lock change is answered 503 ServiceUnavailable and does not
// happen, a refused delete is not answered 403 without its audit entry
// but 503, the engine reports the failure for /health/ready (Err), and
// after a restart the audit stream verifies and the hold was never set.
func TestAuditFailureAnswers503(t *testing.T) {
	mem := vfs.NewCrashableMem()
	var fail atomic.Bool
	fs := errorfs.Wrap(mem, errorfs.InjectorFunc(func(op errorfs.Op) error {
		if fail.Load() && strings.HasPrefix(op.Path, "/data/audit") && op.Kind.ReadOrWrite() == errorfs.OpIsWrite {
			return syscall.ENOSPC
		}
		return nil
	}))
	e := newEnv(t, envOptions{fs: fs, broken: true})
	e.mustCreateBucket("locked", true)
	held := e.mustPut("locked", "held", "x")
	_, err := e.s3.PutObjectLegalHold(ctx(), &s3.PutObjectLegalHoldInput{Bucket: aws.String("locked"), Key: aws.String("held"),
		VersionId: aws.String(held), LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}})
	require.NoError(t, err)
	vid := e.mustPut("locked", "k", "data")

	fail.Store(true)
	// The refusal's entry is durable in its WAL record (the audit disk is
	// off the request path); the next audit log flush fails, and from then
	// on the engine fails closed.
	_, err = e.s3.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String("locked"), Key: aws.String("held"), VersionId: aws.String(held)})
	requireCode(t, err, "AccessDenied", http.StatusForbidden)
	require.ErrorIs(t, e.eng.FlushAudit(context.Background()), engine.ErrAuditFailed)
	require.ErrorIs(t, e.eng.Err(), engine.ErrAuditFailed, "/health/ready must fail")
	_, err = e.s3.PutObjectLegalHold(ctx(), &s3.PutObjectLegalHoldInput{Bucket: aws.String("locked"), Key: aws.String("k"),
		VersionId: aws.String(vid), LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}})
	requireCode(t, err, "ServiceUnavailable", http.StatusServiceUnavailable)

	img := mem.CrashClone(vfs.CrashCloneCfg{})
	eng, err := engine.Open(context.Background(), engine.Options{FS: img, Dir: "/data", CompactionInterval: -1})
	require.NoError(t, err)
	defer eng.Close()
	_, err = eng.GetObjectLegalHold(context.Background(), "locked", "k", vid)
	require.ErrorIs(t, err, engine.ErrNoSuchLockConfiguration, "a change that could not be audited must not happen")
	rep, err := eng.VerifyAudit(context.Background())
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.Problems)
}

// TestAuditLockChangeBeforeResponse: by the time a lock change is
// acknowledged its entry is in the stream, with the version and the lock
// states before and after as the engine applied them.
func TestAuditLockChangeBeforeResponse(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("locked", true)
	vid := e.mustPut("locked", "k", "data")
	before := e.eng.AuditLastSeq()
	until := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	_, err := e.s3.PutObjectRetention(ctx(), &s3.PutObjectRetentionInput{Bucket: aws.String("locked"), Key: aws.String("k"),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: &until}})
	require.NoError(t, err)
	got := auditEntriesAfter(t, e.eng, before) // no waiting: it is there already
	require.Len(t, got, 1)
	require.Equal(t, "PutObjectRetention", got[0].Operation)
	require.Equal(t, engine.AuditOK, got[0].Outcome)
	require.Equal(t, vid, got[0].VersionID)
	require.Equal(t, engine.ModeNone, got[0].OldLock.Retention.Mode)
	require.Equal(t, engine.ModeGovernance, got[0].NewLock.Retention.Mode)
	require.True(t, until.Equal(got[0].NewLock.Retention.Until))
}

// TestDeleteObjectsAuditsEveryKey: a DeleteObjects with keys deleted,
// refused by policy and refused by a legal hold writes one entry per key,
// each with its own outcome.
func TestDeleteObjectsAuditsEveryKey(t *testing.T) {
	e, ids := newIAMEnv(t)
	e.mustCreateBucket("archive", true)
	e.mustPut("archive", "a", "1")
	e.mustPut("archive", "keep/b", "2")
	held := e.mustPut("archive", "held", "3")
	_, err := e.s3.PutObjectLegalHold(ctx(), &s3.PutObjectLegalHoldInput{Bucket: aws.String("archive"), Key: aws.String("held"),
		VersionId: aws.String(held), LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}})
	require.NoError(t, err)
	up, _ := newUser(t, e, ids, "cleaner", map[string]string{"p": `{"Version": "2012-10-17", "Statement": [
	  {"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::archive", "arn:aws:s3:::archive/*"]},
	  {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::archive/keep/*"}]}`})

	before := e.eng.AuditLastSeq()
	out, err := up.DeleteObjects(ctx(), &s3.DeleteObjectsInput{Bucket: aws.String("archive"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("a")}, {Key: aws.String("keep/b")}, {Key: aws.String("held"), VersionId: aws.String(held)},
	}}})
	require.NoError(t, err)
	require.Len(t, out.Deleted, 1)
	require.Len(t, out.Errors, 2)
	got := auditEntriesAfter(t, e.eng, before)
	outcomes := map[string]string{}
	for _, a := range got {
		require.Equal(t, "DeleteObjects", a.Operation)
		require.Contains(t, a.Principal, "(cleaner)")
		outcomes[a.Key] = a.Outcome
	}
	require.Len(t, got, 3, "one entry per key: %+v", got)
	require.Equal(t, map[string]string{"a": engine.AuditOK, "keep/b": engine.AuditDenied, "held": engine.AuditDenied}, outcomes)
}

// TestAnonymousAuditBounded: 300 unauthenticated GETs with a 512 KiB key
// write a bounded amount of audit: the first AnonymousBurst one by one with
// truncated keys, the rest counted into one summary entry.
func TestAnonymousAuditBounded(t *testing.T) {
	e := newEnv(t, envOptions{})
	// A key over S3's 1024-byte limit is refused before authentication
	// (400 KeyTooLongError); an unauthenticated refusal is recorded, but
	// bounded like any other.
	key := strings.Repeat("k", 512<<10)
	before := e.eng.AuditLastSeq()
	for i := 0; i < 300; i++ {
		req, err := http.NewRequest("GET", e.srv.URL+"/bucket/"+key, nil)
		require.NoError(t, err)
		r := e.send(req)
		require.Equal(t, http.StatusBadRequest, r.status)
		require.Contains(t, string(r.body), "KeyTooLongError")
	}
	require.NoError(t, e.gate.Flush(ctx()))
	got := auditEntriesAfter(t, e.eng, before)
	size := 0
	for _, a := range got {
		b, err := json.Marshal(a)
		require.NoError(t, err)
		size += len(b)
	}
	require.Less(t, size, 64<<10, "300 anonymous requests wrote %d bytes of audit", size)
	require.Len(t, got, gate.DefaultAnonymousBurst+1)
	for _, a := range got[:gate.DefaultAnonymousBurst] {
		require.Equal(t, engine.AuditError, a.Outcome)
		require.Contains(t, a.Key, "…[truncated ")
	}
	sum := got[len(got)-1]
	require.Equal(t, gate.OpAnonymousDenialsSummarized, sum.Operation)
	require.Equal(t, uint64(300-gate.DefaultAnonymousBurst), sum.Count)
	require.Equal(t, "127.0.0.1", sum.Source)
}
