package s3api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/gate"
)

// TestBucketCorsConfig checks Put/Get/DeleteBucketCors and AWS's
// validation.
func TestBucketCorsConfig(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("corsb", false)
	b := aws.String("corsb")
	_, err := e.s3.GetBucketCors(ctx(), &s3.GetBucketCorsInput{Bucket: b})
	requireCode(t, err, "NoSuchCORSConfiguration", 404)

	rule := types.CORSRule{
		ID: aws.String("uploader"), AllowedMethods: []string{"PUT", "POST", "GET"}, AllowedOrigins: []string{"https://app.example.com"},
		AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag", "x-amz-version-id"}, MaxAgeSeconds: aws.Int32(600),
	}
	_, err = e.s3.PutBucketCors(ctx(), &s3.PutBucketCorsInput{Bucket: b, CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{rule}}})
	require.NoError(t, err)
	got, err := e.s3.GetBucketCors(ctx(), &s3.GetBucketCorsInput{Bucket: b})
	require.NoError(t, err)
	require.Len(t, got.CORSRules, 1)
	g := got.CORSRules[0]
	require.Equal(t, "uploader", aws.ToString(g.ID))
	require.Equal(t, rule.AllowedMethods, g.AllowedMethods)
	require.Equal(t, rule.AllowedOrigins, g.AllowedOrigins)
	require.Equal(t, rule.AllowedHeaders, g.AllowedHeaders)
	require.Equal(t, rule.ExposeHeaders, g.ExposeHeaders)
	require.Equal(t, int32(600), aws.ToInt32(g.MaxAgeSeconds))

	bad := []struct {
		name string
		rule types.CORSRule
		code string
		msg  string
	}{
		{"method", types.CORSRule{AllowedMethods: []string{"PATCH"}, AllowedOrigins: []string{"*"}}, "InvalidRequest",
			"Found unsupported HTTP method in CORS config. Unsupported method is PATCH"},
		{"two wildcards", types.CORSRule{AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"https://*.*.example.com"}}, "InvalidRequest",
			"can not have more than one wildcard"},
		{"header wildcards", types.CORSRule{AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"*"}, AllowedHeaders: []string{"x-*-*"}}, "InvalidRequest",
			"can not have more than one wildcard"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.s3.PutBucketCors(ctx(), &s3.PutBucketCorsInput{Bucket: b, CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{tc.rule}}})
			requireCode(t, err, tc.code, 400)
			require.Contains(t, err.Error(), tc.msg)
		})
	}
	// The SDK itself refuses a rule without AllowedOrigin.
	body := "<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"
	r := e.do("PUT", "/corsb?cors", md5Header(body), []byte(body))
	require.Equal(t, 400, r.status)
	require.Equal(t, "MalformedXML", r.errorDoc(t).Code)
	many := make([]types.CORSRule, 101)
	for i := range many {
		many[i] = types.CORSRule{AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"*"}}
	}
	_, err = e.s3.PutBucketCors(ctx(), &s3.PutBucketCorsInput{Bucket: b, CORSConfiguration: &types.CORSConfiguration{CORSRules: many}})
	requireCode(t, err, "MalformedXML", 400)
	_, err = e.s3.PutBucketCors(ctx(), &s3.PutBucketCorsInput{Bucket: b, CORSConfiguration: &types.CORSConfiguration{CORSRules: many[:100]}})
	require.NoError(t, err, "100 rules")

	_, err = e.s3.DeleteBucketCors(ctx(), &s3.DeleteBucketCorsInput{Bucket: b})
	require.NoError(t, err)
	_, err = e.s3.GetBucketCors(ctx(), &s3.GetBucketCorsInput{Bucket: b})
	requireCode(t, err, "NoSuchCORSConfiguration", 404)
}

// preflight sends an unauthenticated OPTIONS request as a browser does.
func (e *testEnv) preflight(path, origin, method, headers string) *rawResponse {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodOptions, e.srv.URL+path, nil)
	require.NoError(e.t, err)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if method != "" {
		req.Header.Set("Access-Control-Request-Method", method)
	}
	if headers != "" {
		req.Header.Set("Access-Control-Request-Headers", headers)
	}
	return e.send(req)
}

// TestCORSBrowserUpload plays what a browser uploader does: a preflight
// OPTIONS (unauthenticated, answered per the rules), then the signed PUT
// carrying Origin, whose response must carry the CORS headers so the page
// can read ETag and the version id. Refused preflights are audited.
func TestCORSBrowserUpload(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("upload", true)
	const app = "https://app.example.com"

	// No CORS configuration: refused.
	r := e.preflight("/upload/photo.jpg", app, "PUT", "")
	require.Equal(t, 403, r.status, "%s", r.body)
	require.Equal(t, "AccessForbidden", r.errorDoc(t).Code)
	require.Contains(t, string(r.body), "CORSResponse: CORS is not enabled for this bucket.")

	_, err := e.s3.PutBucketCors(ctx(), &s3.PutBucketCorsInput{Bucket: aws.String("upload"), CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{
		{AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"*"}},
		{AllowedMethods: []string{"PUT", "POST", "DELETE"}, AllowedOrigins: []string{"https://*.example.com"},
			AllowedHeaders: []string{"content-type", "x-amz-*", "authorization"}, ExposeHeaders: []string{"ETag", "x-amz-version-id"}, MaxAgeSeconds: aws.Int32(3000)},
	}}})
	require.NoError(t, err)

	r = e.preflight("/upload/photo.jpg", app, "PUT", "Content-Type, X-Amz-Date, Authorization, x-amz-content-sha256")
	require.Equal(t, 200, r.status, "%s", r.body)
	h := r.header
	require.Equal(t, app, h.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "PUT, POST, DELETE", h.Get("Access-Control-Allow-Methods"))
	require.Equal(t, "Content-Type, X-Amz-Date, Authorization, x-amz-content-sha256", h.Get("Access-Control-Allow-Headers"))
	require.Equal(t, "3000", h.Get("Access-Control-Max-Age"))
	require.Equal(t, "ETag, x-amz-version-id", h.Get("Access-Control-Expose-Headers"))
	require.Equal(t, "true", h.Get("Access-Control-Allow-Credentials"))
	require.Contains(t, h.Get("Vary"), "Origin")

	// The wildcard rule answers "*" for GET from anywhere.
	r = e.preflight("/upload/photo.jpg", "https://other.org", "GET", "")
	require.Equal(t, 200, r.status, "%s", r.body)
	require.Equal(t, "*", r.header.Get("Access-Control-Allow-Origin"))
	require.Empty(t, r.header.Get("Access-Control-Allow-Credentials"))

	seq := e.eng.AuditLastSeq()
	refused := []struct {
		name, origin, method, headers string
		status                        int
		code                          string
	}{
		{"origin not allowed", "https://evil.org", "PUT", "", 403, "AccessForbidden"},
		{"header not allowed", app, "PUT", "x-custom", 403, "AccessForbidden"},
		{"method not allowed", app, "HEAD", "", 403, "AccessForbidden"},
		{"no origin", "", "PUT", "", 400, "BadRequest"},
		{"no method", app, "", "", 400, "BadRequest"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			r := e.preflight("/upload/photo.jpg", tc.origin, tc.method, tc.headers)
			require.Equal(t, tc.status, r.status, "%s", r.body)
			require.Equal(t, tc.code, r.errorDoc(t).Code)
			require.Empty(t, r.header.Get("Access-Control-Allow-Origin"))
		})
	}
	var denied int
	for _, a := range auditEntriesAfter(t, e.eng, seq) {
		if a.Operation == gate.OpOptionsPreflight {
			require.Equal(t, "denied", a.Outcome)
			require.Equal(t, "upload", a.Bucket)
			denied++
		}
	}
	require.Equal(t, 3, denied, "the three 403 refusals are audited")

	// The actual upload, signed, with Origin: CORS headers on the answer.
	put := e.do("PUT", "/upload/photo.jpg", http.Header{"Origin": {app}, "Content-Type": {"image/jpeg"}}, []byte("jpeg"))
	require.Equal(t, 200, put.status, "%s", put.body)
	require.Equal(t, app, put.header.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "ETag, x-amz-version-id", put.header.Get("Access-Control-Expose-Headers"))
	require.NotEmpty(t, put.header.Get("x-amz-version-id"))
	get := e.do("GET", "/upload/photo.jpg", http.Header{"Origin": {"https://other.org"}}, nil)
	require.Equal(t, 200, get.status)
	require.Equal(t, "*", get.header.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "jpeg", string(get.body))
	// An error answer carries them too, so the page can read it.
	miss := e.do("GET", "/upload/missing", http.Header{"Origin": {"https://other.org"}}, nil)
	require.Equal(t, 404, miss.status)
	require.Equal(t, "*", miss.header.Get("Access-Control-Allow-Origin"))
	// No Origin, no CORS headers; an origin no rule allows gets only Vary.
	plain := e.do("GET", "/upload/photo.jpg", nil, nil)
	require.Empty(t, plain.header.Get("Access-Control-Allow-Origin"))
	del := e.do("DELETE", "/upload/photo.jpg", http.Header{"Origin": {"https://evil.org"}}, nil)
	require.Equal(t, 204, del.status)
	require.Empty(t, del.header.Get("Access-Control-Allow-Origin"))
	require.True(t, strings.Contains(del.header.Get("Vary"), "Origin"))

	// A bucket that does not exist answers like one without CORS.
	r = e.preflight("/nobucket/x", app, "PUT", "")
	require.Equal(t, 403, r.status)
	require.Equal(t, "AccessForbidden", r.errorDoc(t).Code)
}

// TestPreflightRefusalsRateLimited: refused preflights are unauthenticated
// refusals, audited one by one only up to the gate's per-source burst.
func TestPreflightRefusalsRateLimited(t *testing.T) {
	e := newEnv(t, envOptions{gate: gate.Config{AnonymousBurst: 2}})
	e.mustCreateBucket("quiet", false)
	seq := e.eng.AuditLastSeq()
	for range 5 {
		r := e.preflight("/quiet/k", "https://x.org", "GET", "")
		require.Equal(t, 403, r.status)
	}
	n := 0
	for _, a := range auditEntriesAfter(t, e.eng, seq) {
		if a.Operation == gate.OpOptionsPreflight {
			n++
		}
	}
	require.Equal(t, 2, n)
	require.NoError(t, e.gate.Flush(ctx()))
	var summarized uint64
	for _, a := range auditEntriesAfter(t, e.eng, seq) {
		if a.Operation == gate.OpAnonymousDenialsSummarized {
			summarized += a.Count
		}
	}
	require.Equal(t, uint64(3), summarized)
}
