package s3api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
	"github.com/wormstore/wormstore/identity"
	"github.com/wormstore/wormstore/s3api"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

const (
	testAccessKey = "AKIAWORMSTORETEST"
	testSecret    = "wormstore/secret/key/for/tests+0123456789"
	testRegion    = "us-east-1"
	testMinPart   = 64 << 10
)

// testEnv is a wormstore engine on an in-memory filesystem behind a real
// loopback HTTP or HTTPS listener.
type testEnv struct {
	t    testing.TB
	eng  *engine.Engine
	gate *gate.Gate
	srv  *httptest.Server
	s3   *s3.Client
	// region is the server's region (envOptions.region, default
	// testRegion).
	region string

	mu       sync.Mutex
	payloads map[string]int // x-amz-content-sha256 markers seen (hashes as "SHA256"), guarded by mu
}

// sawPayload reports how many requests carried the payload marker.
func (e *testEnv) sawPayload(marker string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.payloads[marker]
}

type envOptions struct {
	tls    bool
	domain string
	clock  func() time.Time // the server's SigV4 clock; nil = time.Now
	fs     vfs.FS           // nil = vfs.NewMem()
	// broken skips the consistency check at cleanup (fault tests).
	broken bool
	// ids, if set, is the credential and principal store (users and
	// policies enforced); nil = root only, no policies.
	ids *identity.Store
	// gate configures the door given to the server (Engine is filled in).
	gate gate.Config
	// region is the server's region; "" = testRegion.
	region string
}

func newEnv(t testing.TB, o envOptions) *testEnv {
	t.Helper()
	fs := o.fs
	if fs == nil {
		fs = vfs.NewMem()
	}
	eng, err := engine.Open(context.Background(), engine.Options{
		FS: fs, Dir: "/data",
		SegmentSize: 4 << 20, BlockSize: 64 << 10, WALSegmentSize: 1 << 20,
		MinPartSize: testMinPart, CompactionInterval: -1, ClockPersistInterval: time.Hour,
	})
	require.NoError(t, err)
	gcfg := o.gate
	gcfg.Engine = eng
	g, err := gate.New(gcfg)
	require.NoError(t, err)
	region := o.region
	if region == "" {
		region = testRegion
	}
	cfg := s3api.Config{
		Engine: eng, Region: region, VirtualHostDomain: o.domain, Clock: o.clock,
		Credentials: sigv4.StaticCredentials{testAccessKey: testSecret}, Gate: g,
	}
	if o.ids != nil {
		cfg.Credentials, cfg.Principals = o.ids, o.ids
	}
	h, err := s3api.New(cfg)
	require.NoError(t, err)
	env := &testEnv{t: t, eng: eng, gate: g, region: region, payloads: map[string]int{}}
	record := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := r.Header.Get("x-amz-content-sha256")
		if len(m) == 64 {
			m = "SHA256"
		}
		env.mu.Lock()
		env.payloads[m]++
		env.mu.Unlock()
		h.ServeHTTP(w, r)
	})
	if o.tls {
		env.srv = httptest.NewTLSServer(record)
	} else {
		env.srv = httptest.NewServer(record)
	}
	srv := env.srv
	// Objects are stored as sent: never let the client gunzip a body
	// stored with Content-Encoding: gzip.
	srv.Client().Transport.(*http.Transport).DisableCompression = true
	env.s3 = env.sdkClient()
	t.Cleanup(func() {
		srv.Close()
		if o.broken {
			_ = eng.Close()
			return
		}
		rep, err := eng.Verify(context.Background(), nil)
		require.NoError(t, err)
		require.True(t, rep.OK(), "engine verify: %v", rep.Problems)
		require.NoError(t, eng.Close())
	})
	return env
}

// sdkClient builds an aws-sdk-go-v2 S3 client without LoadDefaultConfig
// (which refuses a custom transport when AWS_CA_BUNDLE is set), with the
// SDK's default checksum behaviour and no retries.
func (e *testEnv) sdkClient(optFns ...func(*s3.Options)) *s3.Client {
	cfg := aws.Config{
		Region:      e.region,
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, testSecret, ""),
		HTTPClient:  e.srv.Client(),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
		// What LoadDefaultConfig sets: the SDK's 2025 integrity defaults.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
	return s3.NewFromConfig(cfg, append([]func(*s3.Options){func(o *s3.Options) {
		o.BaseEndpoint = aws.String(e.srv.URL)
		o.UsePathStyle = true
	}}, optFns...)...)
}

// apiCode returns the S3 error code and HTTP status of an SDK error.
func apiCode(t testing.TB, err error) (string, int) {
	t.Helper()
	require.Error(t, err)
	code := ""
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	status := 0
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

// requireCode asserts an SDK error's S3 code and status.
func requireCode(t testing.TB, err error, code string, status int) {
	t.Helper()
	gotCode, gotStatus := apiCode(t, err)
	require.Equal(t, code, gotCode, "got code %s, want %s (err %v)", gotCode, code, err)
	require.Equal(t, status, gotStatus, "got status %d, want %d (err %v)", gotStatus, status, err)
}

// rawResponse is a response read to the end.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

// errorDoc is the S3 error document.
type errorDoc struct {
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
	Resource  string `xml:"Resource"`
	RequestID string `xml:"RequestId"`
	Key       string `xml:"Key"`
}

func (r *rawResponse) errorDoc(t testing.TB) errorDoc {
	t.Helper()
	var d errorDoc
	require.NoError(t, xml.Unmarshal(r.body, &d), "body %q", r.body)
	return d
}

// do sends a request signed by the SDK's v4 signer over the test listener.
// path is the raw (already escaped) path and query; payload hash is
// computed over body unless hdr sets x-amz-content-sha256.
func (e *testEnv) do(method, pathQuery string, hdr http.Header, body []byte) *rawResponse {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+pathQuery, bytes.NewReader(body))
	require.NoError(e.t, err)
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if body == nil {
		req.Body = http.NoBody
		req.ContentLength = 0
	}
	hash := req.Header.Get("x-amz-content-sha256")
	if hash == "" {
		sum := sha256.Sum256(body)
		hash = hex.EncodeToString(sum[:])
		req.Header.Set("x-amz-content-sha256", hash)
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	require.NoError(e.t, signer.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret},
		req, hash, "s3", e.region, time.Now()))
	return e.send(req)
}

// send sends req unchanged and reads the whole response.
func (e *testEnv) send(req *http.Request) *rawResponse {
	e.t.Helper()
	resp, err := e.srv.Client().Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return &rawResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// escapeKey percent-encodes a key for a raw request path.
func escapeKey(k string) string {
	parts := strings.Split(k, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

func ctx() context.Context { return context.Background() }

// mustPut stores an object with the SDK and returns its version id.
func (e *testEnv) mustPut(bucket, key, data string) string {
	e.t.Helper()
	out, err := e.s3.PutObject(ctx(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(data)})
	require.NoError(e.t, err)
	return aws.ToString(out.VersionId)
}

func (e *testEnv) mustGet(bucket, key string) string {
	e.t.Helper()
	out, err := e.s3.GetObject(ctx(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	require.NoError(e.t, err)
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	require.NoError(e.t, err)
	return string(b)
}

func (e *testEnv) mustCreateBucket(bucket string, lock bool) {
	e.t.Helper()
	in := &s3.CreateBucketInput{Bucket: &bucket}
	if lock {
		in.ObjectLockEnabledForBucket = aws.Bool(true)
	}
	_, err := e.s3.CreateBucket(ctx(), in)
	require.NoError(e.t, err)
}

func xmlUnmarshal(b []byte, v any) error { return xml.Unmarshal(b, v) }
