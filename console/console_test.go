package console

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

const (
	testAK = "rootkey"
	testSK = "rootsecret-123"
)

// fakeClock is a settable clock for sessions and rate limits.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeClock) Add(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
}

type testConsole struct {
	t     *testing.T
	c     *Console
	eng   *engine.Engine
	clock *fakeClock
}

func newTestConsole(t *testing.T) *testConsole {
	t.Helper()
	eng, err := engine.Open(context.Background(), engine.Options{
		FS: vfs.NewMem(), Dir: "/data", CompactionInterval: -1, ClockPersistInterval: time.Hour,
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, eng.Close()) })
	clk := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	c, err := newConsole(Config{Engine: eng, Credentials: sigv4.StaticCredentials{testAK: testSK}, Clock: clk.Now})
	require.NoError(t, err)
	return &testConsole{t: t, c: c, eng: eng, clock: clk}
}

// browser is a minimal cookie-keeping client that calls the handler
// directly.
type browser struct {
	tc      *testConsole
	ip      string
	cookies map[string]string
}

func (tc *testConsole) browser(ip string) *browser {
	return &browser{tc: tc, ip: ip, cookies: map[string]string{}}
}

func (b *browser) do(method, target string, form url.Values, header http.Header) *httptest.ResponseRecorder {
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	r := httptest.NewRequest(method, target, body)
	r.RemoteAddr = b.ip + ":5555"
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		r.Header[k] = v
	}
	for k, v := range b.cookies {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	w := httptest.NewRecorder()
	b.tc.c.ServeHTTP(w, r)
	for _, ck := range w.Result().Cookies() {
		if ck.MaxAge < 0 {
			delete(b.cookies, ck.Name)
		} else {
			b.cookies[ck.Name] = ck.Value
		}
	}
	return w
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfFrom extracts the first CSRF token of a page.
func csrfFrom(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(w.Body.String())
	require.NotNil(t, m, "no csrf field in %s", w.Body.String())
	return m[1]
}

func (b *browser) signin(ak, sk string) *httptest.ResponseRecorder {
	page := b.do("GET", "/signin", nil, nil)
	return b.do("POST", "/signin", url.Values{"csrf": {csrfFrom(b.tc.t, page)}, "access_key": {ak}, "secret_key": {sk}}, nil)
}

func (b *browser) csrf() string {
	w := b.do("GET", "/buckets", nil, nil)
	require.Equal(b.tc.t, http.StatusOK, w.Code)
	return csrfFrom(b.tc.t, w)
}

func text(w *httptest.ResponseRecorder) string { return html.UnescapeString(w.Body.String()) }

func TestSigninFailureAndRateLimit(t *testing.T) {
	tc := newTestConsole(t)
	b := tc.browser("192.0.2.1")
	for i := range 5 {
		w := b.signin(testAK, "wrong")
		require.Equal(t, http.StatusUnauthorized, w.Code, "attempt %d", i)
		require.Contains(t, text(w), "Wrong access key or secret key.")
	}
	// The sixth attempt within a minute is refused, even with the right key.
	w := b.signin(testAK, testSK)
	require.Equal(t, http.StatusTooManyRequests, w.Code)
	require.Contains(t, text(w), "Too many failed sign-ins")
	require.NotContains(t, b.cookies, sessionCookie)

	// Another address is not affected.
	other := tc.browser("192.0.2.2")
	require.Equal(t, http.StatusSeeOther, other.signin(testAK, testSK).Code)

	// A minute later the limit is lifted.
	tc.clock.Add(61 * time.Second)
	w = b.signin(testAK, testSK)
	require.Equal(t, http.StatusSeeOther, w.Code)
	require.Equal(t, "/", w.Header().Get("Location"))
}

func TestSigninCookieFlags(t *testing.T) {
	tc := newTestConsole(t)
	tc.c.cfg.Secure = true
	b := tc.browser("192.0.2.1")
	w := b.signin(testAK, testSK)
	require.Equal(t, http.StatusSeeOther, w.Code)
	var found bool
	for _, ck := range w.Result().Cookies() {
		if ck.Name == sessionCookie {
			found = true
			require.True(t, ck.HttpOnly)
			require.True(t, ck.Secure)
			require.Equal(t, http.SameSiteStrictMode, ck.SameSite)
		}
	}
	require.True(t, found, "session cookie set")
	// Unknown access key gets the same message.
	w = tc.browser("192.0.2.9").signin("nobody", testSK)
	require.Equal(t, http.StatusUnauthorized, w.Code)
	require.Contains(t, text(w), "Wrong access key or secret key.")
}

func TestSessionExpiry(t *testing.T) {
	tc := newTestConsole(t)
	b := tc.browser("192.0.2.1")
	require.Equal(t, http.StatusSeeOther, b.signin(testAK, testSK).Code)
	require.Equal(t, http.StatusOK, b.do("GET", "/buckets", nil, nil).Code)

	// Use within the idle timeout keeps the session alive…
	tc.clock.Add(11 * time.Hour)
	require.Equal(t, http.StatusOK, b.do("GET", "/buckets", nil, nil).Code)
	tc.clock.Add(11 * time.Hour)
	require.Equal(t, http.StatusOK, b.do("GET", "/buckets", nil, nil).Code)
	// …12 idle hours end it.
	tc.clock.Add(12*time.Hour + time.Second)
	w := b.do("GET", "/buckets", nil, nil)
	require.Equal(t, http.StatusSeeOther, w.Code)
	require.True(t, strings.HasPrefix(w.Header().Get("Location"), "/signin"), w.Header().Get("Location"))
	// A POST with the dead session is refused in words.
	w = b.do("POST", "/buckets", url.Values{"csrf": {"x"}, "name": {"abc"}}, nil)
	require.Equal(t, http.StatusUnauthorized, w.Code)
	require.Contains(t, text(w), "Your session has ended")

	// The absolute lifetime ends even a busy session.
	require.Equal(t, http.StatusSeeOther, b.signin(testAK, testSK).Code)
	for range 15 {
		tc.clock.Add(12 * time.Hour)
		b.do("GET", "/buckets", nil, nil)
	}
	require.Equal(t, http.StatusSeeOther, b.do("GET", "/buckets", nil, nil).Code)
}

func TestSignout(t *testing.T) {
	tc := newTestConsole(t)
	b := tc.browser("192.0.2.1")
	b.signin(testAK, testSK)
	old := b.cookies[sessionCookie]
	w := b.do("POST", "/signout", url.Values{"csrf": {b.csrf()}}, nil)
	require.Equal(t, http.StatusSeeOther, w.Code)
	b.cookies[sessionCookie] = old // a stolen copy of the cookie is dead too
	require.Equal(t, http.StatusSeeOther, b.do("GET", "/buckets", nil, nil).Code)
}

func TestCSRF(t *testing.T) {
	tc := newTestConsole(t)
	b := tc.browser("192.0.2.1")
	b.signin(testAK, testSK)
	good := b.csrf()
	for _, tt := range []struct {
		name string
		form url.Values
		hdr  http.Header
	}{
		{name: "no token", form: url.Values{"name": {"csrf-bucket"}}},
		{name: "wrong token", form: url.Values{"name": {"csrf-bucket"}, "csrf": {strings.Repeat("0", 64)}}},
		{name: "wrong header", form: url.Values{"name": {"csrf-bucket"}}, hdr: http.Header{"X-Csrf-Token": {"nope"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := b.do("POST", "/buckets", tt.form, tt.hdr)
			require.Equal(t, http.StatusForbidden, w.Code)
			require.Contains(t, text(w), "CSRF check failed")
			_, err := tc.eng.Bucket(context.Background(), "csrf-bucket")
			require.ErrorIs(t, err, engine.ErrNoSuchBucket)
		})
	}
	// Another session's token does not work either.
	other := tc.browser("192.0.2.2")
	other.signin(testAK, testSK)
	w := b.do("POST", "/buckets", url.Values{"name": {"csrf-bucket"}, "csrf": {other.csrf()}}, nil)
	require.Equal(t, http.StatusForbidden, w.Code)
	// Script requests are checked too.
	w = b.do("POST", "/buckets/x/multipart?key=k", nil, http.Header{"Accept": {"application/json"}})
	require.Equal(t, http.StatusForbidden, w.Code)
	require.Contains(t, w.Body.String(), `"error"`)
	// The sign-in form needs its double-submit token.
	w = tc.browser("192.0.2.3").do("POST", "/signin", url.Values{"access_key": {testAK}, "secret_key": {testSK}}, nil)
	require.Equal(t, http.StatusForbidden, w.Code)

	w = b.do("POST", "/buckets", url.Values{"name": {"csrf-bucket"}, "csrf": {good}}, nil)
	require.Equal(t, http.StatusSeeOther, w.Code)
}

func TestCreateBucketValidation(t *testing.T) {
	tc := newTestConsole(t)
	b := tc.browser("192.0.2.1")
	b.signin(testAK, testSK)
	tok := b.csrf()
	for _, tt := range []struct {
		name string
		form url.Values
		want string
	}{
		{"too short", url.Values{"name": {"ab"}}, "Bucket names are 3 to 63"},
		{"upper case", url.Values{"name": {"Bad"}}, "only lower-case letters"},
		{"bad char", url.Values{"name": {"bad_name"}}, "only lower-case letters"},
		{"ip", url.Values{"name": {"192.168.1.1"}}, "IP address"},
		{"retention without lock", url.Values{"name": {"plain"}, "retention_mode": {"COMPLIANCE"}, "retention_period": {"3"}, "retention_unit": {"days"}}, "needs Object Lock"},
		{"bad period", url.Values{"name": {"locked"}, "object_lock": {"on"}, "retention_mode": {"COMPLIANCE"}, "retention_period": {"0"}, "retention_unit": {"days"}}, "whole number above zero"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("csrf", tok)
			w := b.do("POST", "/buckets", tt.form, nil)
			require.Equal(t, http.StatusBadRequest, w.Code)
			require.Contains(t, text(w), tt.want)
		})
	}
	w := b.do("POST", "/buckets", url.Values{"csrf": {tok}, "name": {"vault"}, "object_lock": {"on"},
		"retention_mode": {"GOVERNANCE"}, "retention_period": {"2"}, "retention_unit": {"years"}}, nil)
	require.Equal(t, http.StatusSeeOther, w.Code)
	info, err := tc.eng.Bucket(context.Background(), "vault")
	require.NoError(t, err)
	require.True(t, info.ObjectLock)
	require.Equal(t, &engine.DefaultRetention{Mode: engine.ModeGovernance, Years: 2}, info.DefaultRetention)
	w = b.do("GET", "/buckets/vault", nil, nil)
	require.Contains(t, text(w), "with Object Lock (versioning is on for good)")

	w = b.do("POST", "/buckets", url.Values{"csrf": {tok}, "name": {"vault"}}, nil)
	require.Equal(t, http.StatusConflict, w.Code)
	require.Contains(t, text(w), "already exists")
}

func TestProtectedVersionDeleteShowsReason(t *testing.T) {
	tc := newTestConsole(t)
	ctx := context.Background()
	require.NoError(t, tc.eng.CreateBucket(ctx, "vault", engine.CreateBucketOptions{ObjectLock: true}))
	until := tc.eng.Now().Add(400 * 24 * time.Hour).UTC().Truncate(24 * time.Hour)
	info, err := tc.eng.PutObject(ctx, "vault", "doc.txt", strings.NewReader("hello"), engine.PutOptions{
		Size: 5, Retention: &engine.Retention{Mode: engine.ModeCompliance, Until: until},
	})
	require.NoError(t, err)

	b := tc.browser("192.0.2.1")
	b.signin(testAK, testSK)
	tok := b.csrf()
	w := b.do("POST", "/buckets/vault/delete", url.Values{"csrf": {tok}, "key": {"doc.txt"}, "version": {info.VersionID}}, nil)
	require.Equal(t, http.StatusForbidden, w.Code)
	require.Contains(t, text(w), "COMPLIANCE retention until "+until.Format("2006-01-02")+" 00:00 UTC — cannot be deleted by anyone")
	require.NotContains(t, w.Body.String(), "<?xml")

	// Deleting the key adds a delete marker, and says so.
	w = b.do("POST", "/buckets/vault/delete", url.Values{"csrf": {tok}, "key": {"doc.txt"}}, nil)
	require.Equal(t, http.StatusSeeOther, w.Code)
	w = b.do("GET", w.Header().Get("Location"), nil, nil)
	require.Contains(t, text(w), "Added a delete marker")

	// The versions view lists both, with the lock state.
	w = b.do("GET", "/buckets/vault/versions", nil, nil)
	require.Equal(t, http.StatusOK, w.Code)
	require.Contains(t, text(w), "Delete marker")
	require.Contains(t, text(w), info.VersionID)
	require.Contains(t, text(w), "COMPLIANCE retention until "+until.Format("2006-01-02")+" — cannot be deleted by anyone")

	// Legal hold: ON through the console, then the reason names it.
	w = b.do("POST", "/buckets/vault/legal-hold", url.Values{"csrf": {tok}, "key": {"doc.txt"}, "version": {info.VersionID}, "hold": {"ON"}}, nil)
	require.Equal(t, http.StatusSeeOther, w.Code)
	on, err := tc.eng.GetObjectLegalHold(ctx, "vault", "doc.txt", info.VersionID)
	require.NoError(t, err)
	require.True(t, on)
	w = b.do("POST", "/buckets/vault/delete", url.Values{"csrf": {tok}, "key": {"doc.txt"}, "version": {info.VersionID}}, nil)
	require.Equal(t, http.StatusForbidden, w.Code)
	require.Contains(t, text(w), "legal hold is ON")

	// Every console action is in the audit stream, with the console as
	// its source and the lock states of the legal-hold change.
	var got []engine.AuditEntry
	require.NoError(t, tc.eng.AuditEntries(ctx, 1, func(a engine.AuditEntry) error { got = append(got, a); return nil }))
	var summary []string
	for _, a := range got {
		require.Equal(t, "console:192.0.2.1", a.Source)
		require.Equal(t, testAK, a.Principal)
		summary = append(summary, a.Operation+" "+a.Outcome)
	}
	// The console names actions by the S3 operation they perform, as the
	// S3 API does (one door, one vocabulary).
	require.Equal(t, []string{
		"console:SignIn ok",
		"DeleteObject denied",
		"DeleteObject ok",
		"PutObjectLegalHold ok",
		"DeleteObject denied",
	}, summary)
	require.True(t, got[3].NewLock.LegalHold)
	require.False(t, got[3].OldLock.LegalHold)
	require.Equal(t, info.VersionID, got[3].VersionID)

	// The overview shows the chain status and the lock event.
	w = b.do("GET", "/", nil, nil)
	require.Equal(t, http.StatusOK, w.Code)
	require.Contains(t, text(w), "Audit chain verified: 5 entries")
	require.Contains(t, text(w), "PutObjectLegalHold")
}

func TestRetentionFormFollowsRules(t *testing.T) {
	tc := newTestConsole(t)
	ctx := context.Background()
	require.NoError(t, tc.eng.CreateBucket(ctx, "vault", engine.CreateBucketOptions{ObjectLock: true}))
	until := tc.eng.Now().Add(30 * 24 * time.Hour).UTC().Truncate(24 * time.Hour)
	comp, err := tc.eng.PutObject(ctx, "vault", "c", strings.NewReader("x"), engine.PutOptions{Size: 1, Retention: &engine.Retention{Mode: engine.ModeCompliance, Until: until}})
	require.NoError(t, err)
	gov, err := tc.eng.PutObject(ctx, "vault", "g", strings.NewReader("x"), engine.PutOptions{Size: 1, Retention: &engine.Retention{Mode: engine.ModeGovernance, Until: until}})
	require.NoError(t, err)
	b := tc.browser("192.0.2.1")
	b.signin(testAK, testSK)
	tok := b.csrf()

	// COMPLIANCE: no mode choice, no bypass, date no earlier than now's until.
	page := text(b.do("GET", "/buckets/vault/object?key=c&version="+comp.VersionID, nil, nil))
	require.Contains(t, page, `<input type="hidden" name="mode" value="COMPLIANCE">`)
	require.NotContains(t, page, `<select id="mode"`)
	require.NotContains(t, page, `name="bypass"`)
	require.Contains(t, page, `min="`+until.Format("2006-01-02")+`"`)
	// The server refuses a shortening anyway, in words.
	w := b.do("POST", "/buckets/vault/retention", url.Values{"csrf": {tok}, "key": {"c"}, "version": {comp.VersionID}, "mode": {"COMPLIANCE"}, "until": {until.Add(-24 * time.Hour).Format("2006-01-02")}}, nil)
	require.Equal(t, http.StatusForbidden, w.Code)
	require.Contains(t, text(w), "can only be extended")

	// GOVERNANCE: bypass switch offered; shortening without it is refused,
	// with it allowed.
	page = text(b.do("GET", "/buckets/vault/object?key=g&version="+gov.VersionID, nil, nil))
	require.Contains(t, page, `name="bypass"`)
	shorter := until.Add(-10 * 24 * time.Hour).Format("2006-01-02")
	w = b.do("POST", "/buckets/vault/retention", url.Values{"csrf": {tok}, "key": {"g"}, "version": {gov.VersionID}, "mode": {"GOVERNANCE"}, "until": {shorter}}, nil)
	require.Equal(t, http.StatusForbidden, w.Code)
	require.Contains(t, text(w), "requires bypass")
	w = b.do("POST", "/buckets/vault/retention", url.Values{"csrf": {tok}, "key": {"g"}, "version": {gov.VersionID}, "mode": {"GOVERNANCE"}, "until": {shorter}, "bypass": {"on"}}, nil)
	require.Equal(t, http.StatusSeeOther, w.Code)
	ret, err := tc.eng.GetObjectRetention(ctx, "vault", "g", gov.VersionID)
	require.NoError(t, err)
	require.Equal(t, shorter, ret.Until.Format("2006-01-02"))
}

func TestAuthorizeHook(t *testing.T) {
	tc := newTestConsole(t)
	r := httptest.NewRequest("GET", "/", nil)
	require.NoError(t, tc.c.authorize(r, principal{AccessKey: "root", Root: true}, "s3:DeleteObject", objectARN("b", "k"), nil))
	err := tc.c.authorize(r, principal{AccessKey: "someone"}, "s3:DeleteObject", objectARN("b", "k"), nil)
	require.ErrorIs(t, err, errForbidden)
	status, msg := tc.c.describe(err)
	require.Equal(t, http.StatusForbidden, status)
	require.Contains(t, msg, "You are not allowed to delete this object")
	require.Contains(t, msg, "s3:DeleteObject on arn:aws:s3:::b/k")
}

func TestPagesRender(t *testing.T) {
	tc := newTestConsole(t)
	ctx := context.Background()
	require.NoError(t, tc.eng.CreateBucket(ctx, "vault", engine.CreateBucketOptions{ObjectLock: true}))
	require.NoError(t, tc.eng.SetObjectLockConfig(ctx, "vault", &engine.DefaultRetention{Mode: engine.ModeCompliance, Days: 10}))
	_, err := tc.eng.PutObject(ctx, "vault", "dir/a.txt", strings.NewReader("hello"), engine.PutOptions{Size: 5, UserMeta: map[string]string{"team": "x"}})
	require.NoError(t, err)
	b := tc.browser("192.0.2.1")
	b.signin(testAK, testSK)
	for _, p := range []string{"/", "/buckets", "/buckets/vault", "/buckets/vault?prefix=dir/", "/buckets/vault/versions", "/buckets/vault/manage", "/buckets/vault/object?key=dir/a.txt"} {
		w := b.do("GET", p, nil, nil)
		require.Equal(t, http.StatusOK, w.Code, "%s: %s", p, w.Body.String())
	}
	require.Contains(t, text(b.do("GET", "/", nil, nil)), "COMPLIANCE retention")
	require.Contains(t, text(b.do("GET", "/buckets/vault/object?key=dir/a.txt", nil, nil)), "x-amz-meta-team")
	w := b.do("GET", "/buckets/vault/download?key=dir/a.txt", nil, nil)
	require.Equal(t, "hello", w.Body.String())
	w = b.do("GET", "/buckets/nope", nil, nil)
	require.Equal(t, http.StatusNotFound, w.Code)
	require.Contains(t, text(w), "There is no such bucket.")
}
