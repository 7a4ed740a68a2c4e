package gate_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/console"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
	"github.com/wormstore/wormstore/identity"
	"github.com/wormstore/wormstore/s3api"
)

const (
	rootAK = "AKIAROOTDOORS"
	rootSK = "root/secret/for/the/doors/test+0123456"
)

// doors is one engine behind both doors, S3 and console, sharing a gate.
type doors struct {
	eng     *engine.Engine
	s3      *s3.Client // signed as the user
	root    *s3.Client
	console *browser // signed in as the user
	now     func() time.Time
}

// skew is how far the engine's clock is ahead of the wall clock (the
// high-water mark after a clock was set back, say).
const skew = 10 * 24 * time.Hour

func newDoors(t *testing.T, policy string) *doors {
	t.Helper()
	now := func() time.Time { return time.Now().Add(skew) }
	eng, err := engine.Open(context.Background(), engine.Options{FS: vfs.NewMem(), Dir: "/data", Clock: now, CompactionInterval: -1})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, eng.Close()) })
	ids, err := identity.Open(vfs.NewMem(), "identities.json", identity.Credentials{AccessKey: rootAK, SecretKey: rootSK})
	require.NoError(t, err)
	require.NoError(t, ids.CreateUser("writer"))
	require.NoError(t, ids.PutUserPolicy("writer", "p", []byte(policy)))
	creds, err := ids.CreateAccessKey("writer")
	require.NoError(t, err)
	g, err := gate.New(gate.Config{Engine: eng})
	require.NoError(t, err)

	h, err := s3api.New(s3api.Config{Engine: eng, Credentials: ids, Principals: ids, Gate: g})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	client := func(ak, sk string) *s3.Client {
		return s3.NewFromConfig(aws.Config{
			Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(ak, sk, ""),
			HTTPClient: srv.Client(), Retryer: func() aws.Retryer { return aws.NopRetryer{} },
		}, func(o *s3.Options) { o.BaseEndpoint = aws.String(srv.URL); o.UsePathStyle = true })
	}
	ch, err := console.New(console.Config{Engine: eng, Credentials: ids, Principals: ids, Gate: g})
	require.NoError(t, err)
	csrv := httptest.NewServer(ch)
	t.Cleanup(csrv.Close)
	d := &doors{eng: eng, s3: client(creds.AccessKey, creds.SecretKey), root: client(rootAK, rootSK), now: now}
	d.console = signin(t, csrv.URL, creds.AccessKey, creds.SecretKey)
	return d
}

// browser is a cookie-keeping client of the console that does not follow
// redirects.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(method, path string, form url.Values) (int, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	require.NoError(b.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return resp.StatusCode, string(data)
}

func (b *browser) token(page string) string {
	m := csrfRe.FindStringSubmatch(page)
	require.NotNil(b.t, m, "no csrf token in %s", page)
	return m[1]
}

func signin(t *testing.T, base, ak, sk string) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	b := &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	_, page := b.do("GET", "/signin", nil)
	status, _ := b.do("POST", "/signin", url.Values{"csrf": {b.token(page)}, "access_key": {ak}, "secret_key": {sk}})
	require.Equal(t, http.StatusSeeOther, status)
	status, page = b.do("GET", "/buckets", nil)
	require.Equal(t, http.StatusOK, status)
	b.csrf = b.token(page)
	return b
}

// post submits a console form and reports whether it was carried out
// (303) or refused (403); anything else fails the test.
func (b *browser) post(path string, form url.Values) bool {
	b.t.Helper()
	form.Set("csrf", b.csrf)
	status, page := b.do("POST", path, form)
	require.Contains(b.t, []int{http.StatusSeeOther, http.StatusForbidden}, status, "%s", page)
	return status == http.StatusSeeOther
}

// s3Allowed reports whether an S3 call succeeded (nil) or was refused
// with AccessDenied; anything else fails the test.
func s3Allowed(t *testing.T, err error) bool {
	t.Helper()
	if err == nil {
		return true
	}
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "AccessDenied", ae.ErrorCode(), "%v", err)
	return false
}

const writerPolicy = `{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::vault", "arn:aws:s3:::vault/*"]},
  {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
  {"Effect": "Deny", "Action": "s3:BypassGovernanceRetention", "Resource": "*"},
  {"Effect": "Deny", "Action": "s3:PutObjectRetention", "Resource": "*",
   "Condition": {"NumericGreaterThan": {"s3:object-lock-remaining-retention-days": "30"}}}]}`

// TestDoorsAgree runs the same decisions through the S3 API and the
// console and requires the same answer: IAM retention conditions judged on
// the engine's clock (ahead of the wall clock here), and the GOVERNANCE
// bypass header without s3:BypassGovernanceRetention ignored where no
// bypass is needed and refused (AccessDenied) where the lock would be
// bypassed, as AWS does.
func TestDoorsAgree(t *testing.T) {
	d := newDoors(t, writerPolicy)
	ctx := context.Background()
	_, err := d.root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("vault"), ObjectLockEnabledForBucket: aws.Bool(true)})
	require.NoError(t, err)
	put := func(key string) string {
		out, err := d.root.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("vault"), Key: aws.String(key), Body: strings.NewReader("x")})
		require.NoError(t, err)
		return aws.ToString(out.VersionId)
	}
	day := func(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

	type door struct {
		name string
		// retention sets GOVERNANCE retention until the day of until, bypass
		// asked for or not; del deletes a version, bypass asked for or not.
		retention func(key, vid string, until time.Time, bypass bool) bool
		del       func(key, vid string, bypass bool) bool
	}
	viaS3 := door{"s3",
		func(key, vid string, until time.Time, bypass bool) bool {
			u := day(until)
			_, err := d.s3.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String("vault"), Key: aws.String(key), VersionId: aws.String(vid),
				BypassGovernanceRetention: aws.Bool(bypass),
				Retention:                 &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: &u}})
			return s3Allowed(t, err)
		},
		func(key, vid string, bypass bool) bool {
			_, err := d.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("vault"), Key: aws.String(key), VersionId: aws.String(vid), BypassGovernanceRetention: aws.Bool(bypass)})
			return s3Allowed(t, err)
		}}
	onOff := func(b bool) string {
		if b {
			return "on"
		}
		return ""
	}
	viaConsole := door{"console",
		func(key, vid string, until time.Time, bypass bool) bool {
			return d.console.post("/buckets/vault/retention", url.Values{"key": {key}, "version": {vid}, "mode": {"GOVERNANCE"},
				"until": {day(until).Format("2006-01-02")}, "bypass": {onOff(bypass)}})
		},
		func(key, vid string, bypass bool) bool {
			return d.console.post("/buckets/vault/delete", url.Values{"key": {key}, "version": {vid}, "bypass": {onOff(bypass)}})
		}}

	for _, dr := range []door{viaS3, viaConsole} {
		t.Run(dr.name, func(t *testing.T) {
			locked := put(dr.name + "/locked")
			plain := put(dr.name + "/plain")
			// 25 days on the engine's clock (35 on the wall clock): the
			// Deny condition (> 30 days) does not apply.
			require.True(t, dr.retention(dr.name+"/locked", locked, d.now().Add(26*24*time.Hour), false), "remaining days judged on the engine clock")
			// 40 days: denied by the condition.
			require.False(t, dr.retention(dr.name+"/plain", plain, d.now().Add(41*24*time.Hour), false))
			// Shortening GOVERNANCE with the header but without the
			// permission: AccessDenied, retention unchanged.
			require.False(t, dr.retention(dr.name+"/locked", locked, d.now().Add(5*24*time.Hour), true))
			r, err := d.eng.GetObjectRetention(ctx, "vault", dr.name+"/locked", locked)
			require.NoError(t, err)
			require.True(t, r.Until.After(d.now().Add(20*24*time.Hour)), "retention was shortened")
			// Deleting the GOVERNANCE version with the header: AccessDenied.
			require.False(t, dr.del(dr.name+"/locked", locked, true))
			// Deleting an unprotected version with the header: no bypass
			// is needed, so the missing permission does not matter.
			require.True(t, dr.del(dr.name+"/plain", plain, true))
		})
	}
}
