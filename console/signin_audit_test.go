package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// auditEntries returns every entry of the console's sign-in and sign-out
// operations, and fails if any entry at all holds one of the secrets.
func auditEntries(t *testing.T, eng *engine.Engine, secrets ...string) []engine.AuditEntry {
	t.Helper()
	var out []engine.AuditEntry
	require.NoError(t, eng.AuditEntries(context.Background(), 0, func(a engine.AuditEntry) error {
		b, err := json.Marshal(a)
		require.NoError(t, err)
		for _, s := range secrets {
			require.NotContains(t, string(b), s, "a secret reached the audit stream")
		}
		switch a.Operation {
		case gate.OpConsoleSignIn, gate.OpConsoleSignOut, gate.OpAnonymousDenialsSummarized:
			out = append(out, a)
		}
		return nil
	}))
	return out
}

// TestSigninAudited: every sign-in attempt is recorded before the answer —
// a wrong secret, an expired form and a rate-limited attempt as denied with
// the claimed key and the reason, a success as ok with the signed-in
// principal — and so is every sign-out; no entry holds a password.
func TestSigninAudited(t *testing.T) {
	tc, clerk := newIAMConsole(t, holdOnlyPolicy)
	const wrong = "not-the-password-7f3a"
	b := tc.browser("192.0.2.1")

	require.Equal(t, http.StatusUnauthorized, b.signin(clerk.AccessKey, wrong).Code)
	// A form without its sign-in cookie (expired, or forged).
	w := b.do("POST", "/signin", url.Values{"csrf": {"forged"}, "access_key": {testAK}, "secret_key": {testSK}}, nil)
	require.Equal(t, http.StatusForbidden, w.Code)
	require.Equal(t, http.StatusSeeOther, b.signin(clerk.AccessKey, clerk.SecretKey).Code)
	// Sign-out failing the CSRF check, then a real one.
	require.Equal(t, http.StatusForbidden, b.do("POST", "/signout", url.Values{"csrf": {"forged"}}, nil).Code)
	tok := csrfFrom(t, b.do("GET", "/buckets", nil, nil)) // refused page, with the sign-out form
	require.Equal(t, http.StatusSeeOther, b.do("POST", "/signout", url.Values{"csrf": {tok}}, nil).Code)
	// Rate limited: five failures, then even the right secret is refused.
	r := tc.browser("192.0.2.9")
	for range 5 {
		require.Equal(t, http.StatusUnauthorized, r.signin(testAK, wrong).Code)
	}
	require.Equal(t, http.StatusTooManyRequests, r.signin(testAK, testSK).Code)

	got := auditEntries(t, tc.eng, wrong, testSK, clerk.SecretKey)
	type row struct{ op, principal, source, outcome, detail string }
	var rows []row
	for _, a := range got {
		require.NotEmpty(t, a.RequestID)
		rows = append(rows, row{a.Operation, a.Principal, a.Source, a.Outcome, a.Detail})
	}
	claimed := clerk.AccessKey + " (unauthenticated)"
	signedIn := clerk.AccessKey + " (clerk)"
	want := []row{
		{gate.OpConsoleSignIn, claimed, "console:192.0.2.1", engine.AuditDenied, "reason=bad credentials"},
		{gate.OpConsoleSignIn, testAK + " (unauthenticated)", "console:192.0.2.1", engine.AuditDenied, "reason=CSRF"},
		{gate.OpConsoleSignIn, signedIn, "console:192.0.2.1", engine.AuditOK, ""},
		{gate.OpConsoleSignOut, signedIn, "console:192.0.2.1", engine.AuditDenied, "reason=CSRF"},
		{gate.OpConsoleSignOut, signedIn, "console:192.0.2.1", engine.AuditOK, ""},
	}
	for range 5 {
		want = append(want, row{gate.OpConsoleSignIn, testAK + " (unauthenticated)", "console:192.0.2.9", engine.AuditDenied, "reason=bad credentials"})
	}
	want = append(want, row{gate.OpConsoleSignIn, testAK + " (unauthenticated)", "console:192.0.2.9", engine.AuditDenied, "reason=rate limited"})
	require.Equal(t, want, rows)
	require.Equal(t, http.StatusUnauthorized, got[0].Status)
	require.Equal(t, http.StatusTooManyRequests, got[len(got)-1].Status)
}

// TestSigninClaimedKeyBounded: the access key an attempt claims is the
// client's text; its entry keeps at most maxClaimedKey bytes of it.
func TestSigninClaimedKeyBounded(t *testing.T) {
	tc := newTestConsole(t)
	long := strings.Repeat("é", 4000) // 8000 bytes, cut inside no rune
	require.Equal(t, http.StatusUnauthorized, tc.browser("192.0.2.1").signin(long, "x-secret-x").Code)
	got := auditEntries(t, tc.eng, "x-secret-x")
	require.Len(t, got, 1)
	require.Equal(t, strings.Repeat("é", maxClaimedKey/2)+"…[truncated 7872 bytes] (unauthenticated)", got[0].Principal)
}

// TestSigninBruteForceBounded: failed sign-ins are unauthenticated
// refusals, so they share the gate's per-source limiter: a long run writes
// AnonymousBurst entries and one summary counting the rest.
func TestSigninBruteForceBounded(t *testing.T) {
	tc := newTestConsole(t)
	b := tc.browser("192.0.2.7")
	const attempts = 60
	for i := range attempts {
		w := b.signin(testAK, "guess")
		require.Contains(t, []int{http.StatusUnauthorized, http.StatusTooManyRequests}, w.Code, "attempt %d", i)
	}
	require.Len(t, auditEntries(t, tc.eng), gate.DefaultAnonymousBurst)
	require.NoError(t, tc.c.gate.Flush(context.Background()))
	got := auditEntries(t, tc.eng, "guess")
	require.Len(t, got, gate.DefaultAnonymousBurst+1)
	sum := got[len(got)-1]
	require.Equal(t, gate.OpAnonymousDenialsSummarized, sum.Operation)
	require.Equal(t, uint64(attempts-gate.DefaultAnonymousBurst), sum.Count)
}

// TestSigninAuditFailureRefused: when the audit log cannot be written, a
// sign-in with the right secret is refused with the 503 page and makes no
// session; a failed attempt is not answered 401 without its entry either.
func TestSigninAuditFailureRefused(t *testing.T) {
	var fail atomic.Bool
	fs := errorfs.Wrap(vfs.NewMem(), errorfs.InjectorFunc(func(op errorfs.Op) error {
		if fail.Load() && strings.HasPrefix(op.Path, "/data/audit") && op.Kind.ReadOrWrite() == errorfs.OpIsWrite {
			return syscall.ENOSPC
		}
		return nil
	}))
	eng, err := engine.Open(context.Background(), engine.Options{FS: fs, Dir: "/data", CompactionInterval: -1, ClockPersistInterval: time.Hour})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() }) // the audit failure is sticky: Close reports it
	clk := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	c, err := newConsole(Config{Engine: eng, Credentials: sigv4.StaticCredentials{testAK: testSK}, Clock: clk.Now})
	require.NoError(t, err)
	tc := &testConsole{t: t, c: c, eng: eng, clock: clk}

	b := tc.browser("192.0.2.1")
	page := b.do("GET", "/signin", nil, nil)
	fail.Store(true)
	// The audit disk is off the request path: the failure shows at the
	// next audit log flush, and the engine fails closed from then on.
	_, err = eng.Audit(context.Background(), engine.AuditEntry{Operation: "test", Outcome: engine.AuditOK})
	require.NoError(t, err)
	require.ErrorIs(t, eng.FlushAudit(context.Background()), engine.ErrAuditFailed)
	w := b.do("POST", "/signin", url.Values{"csrf": {csrfFrom(t, page)}, "access_key": {testAK}, "secret_key": {testSK}}, nil)
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	require.Contains(t, text(w), "could not be recorded in the audit log, so it was refused")
	require.NotContains(t, b.cookies, sessionCookie)
	require.Empty(t, w.Header().Get("Location"))
	c.mu.Lock()
	require.Empty(t, c.sessions, "no session without its audit entry")
	c.mu.Unlock()
	require.ErrorIs(t, eng.Err(), engine.ErrAuditFailed)

	require.Equal(t, http.StatusServiceUnavailable, b.signin(testAK, "wrong").Code)
}
