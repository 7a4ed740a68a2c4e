package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/identity"
)

// newIAMConsole is a console whose sign-in and authorisation use an
// identity store, with one user "clerk" holding the given policy.
func newIAMConsole(t *testing.T, policy string) (*testConsole, identity.Credentials) {
	t.Helper()
	tc := newTestConsole(t)
	ids, err := identity.Open(vfs.NewMem(), "/ids.json", identity.Credentials{AccessKey: testAK, SecretKey: testSK})
	require.NoError(t, err)
	require.NoError(t, ids.CreateUser("clerk"))
	creds, err := ids.CreateAccessKey("clerk")
	require.NoError(t, err)
	require.NoError(t, ids.PutUserPolicy("clerk", "p", []byte(policy)))
	c, err := newConsole(Config{Engine: tc.eng, Credentials: ids, Principals: ids, Clock: tc.clock.Now})
	require.NoError(t, err)
	tc.c = c
	return tc, creds
}

// holdOnlyPolicy lets the user browse and read, and set legal holds ON
// but never OFF; it does not grant ListAllMyBuckets or the bypass.
const holdOnlyPolicy = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:ListBucket","s3:ListBucketVersions","s3:GetObject","s3:GetObjectVersion","s3:PutObjectRetention"],"Resource":["arn:aws:s3:::vault","arn:aws:s3:::vault/*"]},
 {"Effect":"Allow","Action":"s3:PutObjectLegalHold","Resource":"arn:aws:s3:::vault/*",
  "Condition":{"StringEquals":{"s3:object-lock-legal-hold":"ON"}}}]}`

func TestRestrictedUserLegalHold(t *testing.T) {
	tc, creds := newIAMConsole(t, holdOnlyPolicy)
	ctx := context.Background()
	require.NoError(t, tc.eng.CreateBucket(ctx, "vault", engine.CreateBucketOptions{ObjectLock: true}))
	o, err := tc.eng.PutObject(ctx, "vault", "a.txt", strings.NewReader("hi"), engine.PutOptions{Size: 2})
	require.NoError(t, err)

	b := tc.browser("192.0.2.7")
	w := b.signin(creds.AccessKey, creds.SecretKey)
	require.Equal(t, http.StatusSeeOther, w.Code)
	w = b.do("GET", "/", nil, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Contains(t, text(w), "clerk")
	require.NotContains(t, text(w), "Storage used on disk", "server-wide figures are root's")
	tok := csrfFrom(t, w)

	form := url.Values{"csrf": {tok}, "key": {"a.txt"}, "version": {o.VersionID}, "hold": {"ON"}}
	w = b.do("POST", "/buckets/vault/legal-hold", form, nil)
	require.Equal(t, http.StatusSeeOther, w.Code, text(w))
	l, err := tc.eng.GetObjectLegalHold(ctx, "vault", "a.txt", o.VersionID)
	require.NoError(t, err)
	require.True(t, l)

	form.Set("hold", "OFF")
	w = b.do("POST", "/buckets/vault/legal-hold", form, nil)
	require.Equal(t, http.StatusForbidden, w.Code)
	require.Contains(t, text(w), "You are not allowed to turn the legal hold OFF")
	require.Contains(t, text(w), "s3:object-lock-legal-hold = OFF")
	l, err = tc.eng.GetObjectLegalHold(ctx, "vault", "a.txt", o.VersionID)
	require.NoError(t, err)
	require.True(t, l, "the refused request changed nothing")

	// Root still may.
	r := tc.browser("192.0.2.8")
	r.signin(testAK, testSK)
	form.Set("csrf", r.csrf())
	w = r.do("POST", "/buckets/vault/legal-hold", form, nil)
	require.Equal(t, http.StatusSeeOther, w.Code, text(w))
}

func TestUserWithoutListAllMyBuckets(t *testing.T) {
	tc, creds := newIAMConsole(t, holdOnlyPolicy)
	ctx := context.Background()
	require.NoError(t, tc.eng.CreateBucket(ctx, "vault", engine.CreateBucketOptions{ObjectLock: true}))
	require.NoError(t, tc.eng.CreateBucket(ctx, "secret", engine.CreateBucketOptions{}))
	b := tc.browser("192.0.2.9")
	b.signin(creds.AccessKey, creds.SecretKey)
	w := b.do("GET", "/buckets", nil, nil)
	require.Equal(t, http.StatusForbidden, w.Code)
	require.Contains(t, text(w), "You are not allowed to list the buckets")
	require.NotContains(t, text(w), "secret")
	// A bucket the policy covers can still be opened directly; others not.
	w = b.do("GET", "/buckets/vault", nil, nil)
	require.Equal(t, http.StatusOK, w.Code, text(w))
	w = b.do("GET", "/buckets/secret", nil, nil)
	require.Equal(t, http.StatusForbidden, w.Code)
	require.Contains(t, text(w), "You are not allowed to list the objects in this bucket")
	// Creating a bucket is refused before anything happens.
	w = b.do("POST", "/buckets", url.Values{"csrf": {csrfFrom(t, b.do("GET", "/", nil, nil))}, "name": {"newbucket"}}, nil)
	require.Equal(t, http.StatusForbidden, w.Code)
	_, err := tc.eng.Bucket(ctx, "newbucket")
	require.ErrorIs(t, err, engine.ErrNoSuchBucket)
}

func TestBypassCheckboxNeedsPermission(t *testing.T) {
	withBypass := strings.Replace(holdOnlyPolicy, `"s3:PutObjectRetention"]`, `"s3:PutObjectRetention","s3:BypassGovernanceRetention"]`, 1)
	for _, tt := range []struct {
		name   string
		policy string
		want   bool
	}{{"without", holdOnlyPolicy, false}, {"with", withBypass, true}} {
		t.Run(tt.name, func(t *testing.T) {
			tc, creds := newIAMConsole(t, tt.policy)
			ctx := context.Background()
			require.NoError(t, tc.eng.CreateBucket(ctx, "vault", engine.CreateBucketOptions{ObjectLock: true}))
			until := tc.eng.Now().Add(30 * 24 * time.Hour).UTC()
			o, err := tc.eng.PutObject(ctx, "vault", "g", strings.NewReader("x"), engine.PutOptions{Size: 1,
				Retention: &engine.Retention{Mode: engine.ModeGovernance, Until: until}})
			require.NoError(t, err)
			b := tc.browser("192.0.2.10")
			b.signin(creds.AccessKey, creds.SecretKey)
			w := b.do("GET", "/buckets/vault/object?key=g&version="+o.VersionID, nil, nil)
			require.Equal(t, http.StatusOK, w.Code, text(w))
			require.Equal(t, tt.want, strings.Contains(w.Body.String(), `name="bypass"`))
			w = b.do("GET", "/buckets/vault/versions", nil, nil)
			require.Equal(t, http.StatusOK, w.Code, text(w))
			require.Equal(t, tt.want, strings.Contains(w.Body.String(), `name="bypass"`))
			// Posting the bypass anyway is refused without the permission.
			shorter := until.Add(-10 * 24 * time.Hour).Format("2006-01-02")
			w = b.do("POST", "/buckets/vault/retention", url.Values{"csrf": {csrfFrom(t, w)}, "key": {"g"}, "version": {o.VersionID},
				"mode": {"GOVERNANCE"}, "until": {shorter}, "bypass": {"on"}}, nil)
			if tt.want {
				require.Equal(t, http.StatusSeeOther, w.Code, text(w))
			} else {
				require.Equal(t, http.StatusForbidden, w.Code)
				require.Contains(t, text(w), "You are not allowed to bypass GOVERNANCE retention")
			}
		})
	}
}
