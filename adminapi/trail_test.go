package adminapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/adminapi"
	"github.com/wormstore/wormstore/adminapi/adminapitest"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/identity"
)

// bypassPolicy grants governance bypass: the grant the audit stream must
// make identifiable.
const bypassPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:DeleteObjectVersion","s3:BypassGovernanceRetention"],"Resource":"arn:aws:s3:::archive/*"}]}`

// since returns the audit entries after seq.
func (at *adminTest) since(t *testing.T, seq uint64) []engine.AuditEntry {
	t.Helper()
	var out []engine.AuditEntry
	for _, e := range at.auditAll(t) {
		if e.Seq > seq {
			out = append(out, e)
		}
	}
	return out
}

// opsOf lists "Operation/Outcome" of entries.
func opsOf(es []engine.AuditEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Operation + "/" + e.Outcome
	}
	return out
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestAdminAuditIdentityChanges: every identity change writes an intent
// entry before it takes effect and a result entry before the answer; a
// policy grant is identifiable by name, SHA-256 and document.
func TestAdminAuditIdentityChanges(t *testing.T) {
	at := newAdminTest(t, nil)
	at.api.AttachIdentities(adminapitest.NewFakeIAM())
	steps := []struct {
		method, path string
		body         []byte
		op           string
		wantDetail   []string
	}{
		{"PUT", "users/alice", nil, "AdminCreateUser", []string{"user=alice"}},
		{"POST", "users/alice/keys", nil, "AdminCreateAccessKey", []string{"user=alice"}},
		{"POST", "users/alice/keys/AK1/disable", nil, "AdminDisableAccessKey", []string{"user=alice", "access_key=AK1"}},
		{"POST", "users/alice/keys/AK1/enable", nil, "AdminEnableAccessKey", []string{"user=alice", "access_key=AK1"}},
		{"PUT", "users/alice/policies/bypass", []byte(bypassPolicy), "AdminAttachUserPolicy",
			[]string{"user=alice", "policy=bypass", "sha256=" + sha256Hex([]byte(bypassPolicy))}},
		{"DELETE", "users/alice/policies/bypass", nil, "AdminDetachUserPolicy", []string{"user=alice", "policy=bypass"}},
		{"DELETE", "users/alice/keys/AK1", nil, "AdminDeleteAccessKey", []string{"user=alice", "access_key=AK1"}},
		{"DELETE", "users/alice", nil, "AdminDeleteUser", []string{"user=alice"}},
	}
	for _, s := range steps {
		before := at.eng.AuditLastSeq()
		var st int
		var b []byte
		if s.body != nil {
			st, b = at.callBody(t, s.method, s.path, s.body, "")
		} else {
			st, _, b = at.call(t, s.method, s.path, nil)
		}
		require.Equal(t, http.StatusOK, st, "%s %s: %s", s.method, s.path, b)
		es := at.since(t, before)
		require.Equal(t, []string{s.op + "/intent", s.op + "/ok"}, opsOf(es), s.op)
		intent, result := es[0], es[1]
		for _, e := range es {
			require.Equal(t, testAdminAK, e.Principal)
			require.Equal(t, "admin:127.0.0.1", e.Source)
			require.Equal(t, intent.RequestID, e.RequestID)
			for _, d := range s.wantDetail {
				require.Contains(t, e.Detail, d, "%s %s", s.op, e.Outcome)
			}
		}
		require.NotEmpty(t, intent.RequestID)
		require.Equal(t, http.StatusOK, result.Status)
		require.Contains(t, result.Detail, "intent_seq="+strconv.FormatUint(intent.Seq, 10))
		if s.op == "AdminAttachUserPolicy" {
			require.Contains(t, intent.Detail, `doc="{\"Version\":\"2012-10-17\"`, "the intent holds the document")
			require.Contains(t, intent.Detail, "s3:BypassGovernanceRetention")
			require.NotContains(t, result.Detail, "doc=", "the document is in the intent only")
		}
		if s.op == "AdminCreateAccessKey" {
			require.Contains(t, result.Detail, "created_access_key=AK1")
			require.NotContains(t, result.Detail, "secret1")
		}
	}

	// A change that fails is recorded as intent and error.
	before := at.eng.AuditLastSeq()
	st, _, b := at.call(t, "DELETE", "users/nobody", nil)
	require.Equal(t, http.StatusNotFound, st, "%s", b)
	es := at.since(t, before)
	require.Equal(t, []string{"AdminDeleteUser/intent", "AdminDeleteUser/error"}, opsOf(es))
	require.Equal(t, http.StatusNotFound, es[1].Status)
	require.Contains(t, es[1].Detail, "code=NoSuchUser")

	// A long policy document is cut in the entry; its hash is whole.
	before = at.eng.AuditLastSeq()
	long := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Sid":"` + strings.Repeat("x", 10000) + `"}]}`)
	_, _, _ = at.call(t, "PUT", "users/bob", nil)
	st, b = at.callBody(t, "PUT", "users/bob/policies/long", long, "")
	require.Equal(t, http.StatusOK, st, "%s", b)
	for _, e := range at.since(t, before) {
		require.Less(t, len(e.Detail), 6000, "entry %d %s", e.Seq, e.Operation)
		if e.Operation == "AdminAttachUserPolicy" && e.Outcome == "intent" {
			require.Contains(t, e.Detail, "sha256="+sha256Hex(long))
			require.Contains(t, e.Detail, "doc_truncated=true")
		}
	}
}

// TestAdminAuditDenied: a refused request writes one "denied" entry,
// whatever the operation, and changes nothing: no intent entry.
func TestAdminAuditDenied(t *testing.T) {
	at := newAdminTest(t, nil)
	s, err := identity.Open(at.fs, "/data/identities.json", identity.Credentials{AccessKey: testAdminAK, SecretKey: testAdminSK})
	require.NoError(t, err)
	at.api.AttachIdentityStore(s)
	require.NoError(t, s.CreateUser("nobody"))
	nobody, err := s.CreateAccessKey("nobody")
	require.NoError(t, err)
	as := at.as(nobody.AccessKey, nobody.SecretKey)

	tests := []struct {
		name, method, path string
		op                 string
		wantDetail         []string
	}{
		{"read", "GET", "stats", "AdminGetStats", []string{"action=admin:GET/stats", "code=AccessDenied"}},
		{"grant", "PUT", "users/nobody/policies/all", "AdminAttachUserPolicy",
			[]string{"action=admin:PUT/users/{user}/policies/{policy}", "user=nobody", "policy=all"}},
		{"audit read", "GET", "audit", "AdminReadAudit", []string{"action=admin:GET/audit"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := at.eng.AuditLastSeq()
			var st int
			var b []byte
			if tc.method == "PUT" {
				st, b = as.callBody(t, tc.method, tc.path, []byte(bypassPolicy), "")
			} else {
				st, _, b = as.call(t, tc.method, tc.path, nil)
			}
			require.Equal(t, http.StatusForbidden, st, "%s", b)
			es := at.since(t, before)
			require.Equal(t, []string{tc.op + "/denied"}, opsOf(es))
			e := es[0]
			require.Equal(t, nobody.AccessKey+" (nobody)", e.Principal)
			require.Equal(t, "admin:127.0.0.1", e.Source)
			require.Equal(t, http.StatusForbidden, e.Status)
			for _, d := range tc.wantDetail {
				require.Contains(t, e.Detail, d)
			}
		})
	}
	_, err = s.GetUserPolicy("nobody", "all")
	require.ErrorIs(t, err, identity.ErrNoSuchPolicy, "a denied grant changes nothing")

	// A bad signature: denied, with the access key it claimed.
	before := at.eng.AuditLastSeq()
	st, _, b := at.as(testAdminAK, "wrong-secret-key").call(t, "POST", "compact", nil)
	require.Equal(t, http.StatusForbidden, st, "%s", b)
	es := at.since(t, before)
	require.Equal(t, []string{"AdminCompact/denied"}, opsOf(es))
	require.Empty(t, es[0].Principal)
	require.Contains(t, es[0].Detail, "claimed_key="+testAdminAK)
	require.Contains(t, es[0].Detail, "code=SignatureDoesNotMatch")

	// Unsigned, to an unknown path: still recorded, with a bounded path.
	before = at.eng.AuditLastSeq()
	resp, err := http.Get(at.url(strings.Repeat("x", 5000)))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	es = at.since(t, before)
	require.Equal(t, []string{"AdminRequest/denied"}, opsOf(es))
	require.Less(t, len(es[0].Detail), 1000)
}

// TestAdminAuditReads: verify, audit reads and audit verify are on
// record; a read that finds only audit reads is not (so `tail --follow`
// does not feed itself).
func TestAdminAuditReads(t *testing.T) {
	at := newAdminTest(t, nil)
	_, err := at.eng.Audit(context.Background(), engine.AuditEntry{Operation: "PutObject", Outcome: "ok"})
	require.NoError(t, err)

	st, _, b := at.call(t, "GET", "audit", url.Values{"from": {"1"}})
	require.Equal(t, http.StatusOK, st, "%s", b)
	require.Len(t, adminapitest.DecodeAuditLines(t, b), 1)
	es := at.since(t, 1)
	require.Equal(t, []string{"AdminReadAudit/ok"}, opsOf(es))
	require.Contains(t, es[0].Detail, "entries=1 first_seq=1 last_seq=1")
	require.Contains(t, es[0].Detail, `query="from=1"`)

	// The next poll finds only that read: not recorded again.
	st, _, b = at.call(t, "GET", "audit", url.Values{"from": {"2"}})
	require.Equal(t, http.StatusOK, st, "%s", b)
	require.Equal(t, []string{"AdminReadAudit/ok"}, opsOf(adminapitest.DecodeAuditLines(t, b)))
	require.Equal(t, uint64(2), at.eng.AuditLastSeq())
	st, _, _ = at.call(t, "GET", "audit", url.Values{"from": {"3"}})
	require.Equal(t, http.StatusOK, st)
	require.Equal(t, uint64(2), at.eng.AuditLastSeq())

	st, _, b = at.call(t, "GET", "audit/verify", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	st, _, b = at.call(t, "POST", "verify", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	st, _, b = at.call(t, "POST", "compact", url.Values{"min_garbage": {"0.5"}})
	require.Equal(t, http.StatusOK, st, "%s", b)
	st, _, _ = at.call(t, "GET", "stats", nil)
	require.Equal(t, http.StatusOK, st)
	es = at.since(t, 2)
	require.Equal(t, []string{"AdminVerifyAudit/ok", "AdminVerify/ok", "AdminCompact/intent", "AdminCompact/ok"}, opsOf(es),
		"reads that are not audit-relevant (stats) are not recorded")
	require.Contains(t, es[0].Detail, "chain_ok=true")
	require.Contains(t, es[2].Detail, `query="min_garbage=0.5"`)
	require.Contains(t, es[3].Detail, "segments_removed=")
}

// failingAuditFS fails every write to the audit stream's files while
// fail is set.
func failingAuditFS(fail *atomic.Bool) vfs.FS { return failingWritesFS(fail, "/audit") }

// failingWritesFS fails every write to files whose path contains part
// while fail is set.
func failingWritesFS(fail *atomic.Bool, part string) vfs.FS {
	return errorfs.Wrap(vfs.NewMem(), errorfs.InjectorFunc(func(op errorfs.Op) error {
		if fail.Load() && strings.Contains(op.Path, part) && op.Kind.ReadOrWrite() == errorfs.OpIsWrite {
			return syscall.EIO
		}
		return nil
	}))
}

// TestAdminAuditFailureRefusesChange: once the audit stream's disk fails
// (noticed at the first flush of the lazily written audit log; the
// entries themselves are durable in the WAL), the engine fails closed: an
// identity change fails with 503 and does not happen; audit reads and
// denials are refused too.
func TestAdminAuditFailureRefusesChange(t *testing.T) {
	var fail atomic.Bool
	at := newAdminTestWith(t, testOptions{fs: failingAuditFS(&fail), broken: true})
	ids := adminapitest.NewFakeIAM()
	at.api.AttachIdentities(ids)
	st, _, b := at.call(t, "PUT", "users/alice", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)

	fail.Store(true)
	require.Error(t, at.eng.FlushAudit(context.Background()), "the audit log write must fail")
	require.Error(t, at.eng.Err(), "an audit log failure fails the engine closed")

	st, b = at.callBody(t, "PUT", "users/alice/policies/bypass", []byte(bypassPolicy), "")
	require.Equal(t, http.StatusServiceUnavailable, st, "%s", b)
	e := decodeAPIError(t, b)
	require.Equal(t, "AuditUnavailable", e.Code)
	require.Contains(t, e.Message, "nothing was changed")
	_, err := ids.GetUserPolicy(context.Background(), "alice", "bypass")
	require.Error(t, err, "the grant must not take effect without its audit entry")

	st, _, b = at.call(t, "DELETE", "users/alice", nil)
	require.Equal(t, http.StatusServiceUnavailable, st, "%s", b)
	_, err = ids.GetUser(context.Background(), "alice")
	require.NoError(t, err, "the user must still exist")

	st, _, b = at.call(t, "GET", "audit", nil)
	require.Equal(t, http.StatusServiceUnavailable, st, "%s", b)
	require.Equal(t, "AuditUnavailable", decodeAPIError(t, b).Code)
	require.NotContains(t, string(b), "AdminCreateUser", "no audit page is served unrecorded")

	st, _, b = at.as(testAdminAK, "wrong-secret-key").call(t, "GET", "stats", nil)
	require.Equal(t, http.StatusServiceUnavailable, st, "%s", b)
	require.Equal(t, "AuditUnavailable", decodeAPIError(t, b).Code)
}

// failAfterBackend is a Backend that sets fail once a policy is stored:
// the audit stream dies between a change and its result entry.
type failAfterBackend struct {
	adminapi.Backend
	fail *atomic.Bool
}

func (b failAfterBackend) PutUserPolicy(ctx context.Context, user, name string, doc []byte) error {
	err := b.Backend.PutUserPolicy(ctx, user, name, doc)
	b.fail.Store(true)
	return err
}

// TestAdminAuditResultFailure: a change applied whose result entry cannot
// be written is answered 503, naming the intent entry that records it.
// Audit entries are made durable by the WAL record that carries them, so
// the result entry is lost when the WAL write fails.
func TestAdminAuditResultFailure(t *testing.T) {
	var fail atomic.Bool
	at := newAdminTestWith(t, testOptions{fs: failingWritesFS(&fail, "/wal/"), broken: true})
	ids := adminapitest.NewFakeIAM()
	at.api.AttachIdentities(failAfterBackend{ids, &fail})
	st, _, b := at.call(t, "PUT", "users/alice", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	intentSeq := at.eng.AuditLastSeq() + 1

	st, b = at.callBody(t, "PUT", "users/alice/policies/bypass", []byte(bypassPolicy), "")
	require.Equal(t, http.StatusServiceUnavailable, st, "%s", b)
	e := decodeAPIError(t, b)
	require.Equal(t, "AuditUnavailable", e.Code)
	require.Contains(t, e.Message, "the change was applied (audit intent entry "+strconv.FormatUint(intentSeq, 10)+")")
	_, err := ids.GetUserPolicy(context.Background(), "alice", "bypass")
	require.NoError(t, err)
	var intent engine.AuditEntry
	for _, en := range at.auditAll(t) {
		if en.Seq == intentSeq {
			intent = en
		}
	}
	require.Equal(t, "AdminAttachUserPolicy", intent.Operation)
	require.Equal(t, "intent", intent.Outcome)
	require.Contains(t, intent.Detail, "sha256="+sha256Hex([]byte(bypassPolicy)))
}
