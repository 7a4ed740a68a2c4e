package adminapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/adminapi"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

const (
	testAdminAK = "ADMINTESTKEY"
	testAdminSK = "admin-test-secret-key"
	// emptySHA256 is the hex SHA-256 of an empty body.
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// adminTest is an admin API served over HTTP from a small engine on a
// memory filesystem.
type adminTest struct {
	eng *engine.Engine
	fs  vfs.FS
	api *adminapi.API
	srv *httptest.Server
	// ak and sk sign call and callBody.
	ak, sk string
}

// testOptions adjust newAdminTestWith.
type testOptions struct {
	// fs is the engine's filesystem; default a fresh vfs.NewMem.
	fs vfs.FS
	// corrupt, if set at cleanup, skips the engine's verify.
	corrupt *bool
	// broken: the filesystem failed on purpose; cleanup neither verifies
	// nor insists on a clean close.
	broken bool
}

// newAdminTest opens an engine with small segments (so they seal) and
// serves the admin API for it; at cleanup the engine must verify clean
// unless corrupt is set.
func newAdminTest(t *testing.T, corrupt *bool) *adminTest {
	return newAdminTestWith(t, testOptions{corrupt: corrupt})
}

func newAdminTestWith(t *testing.T, o testOptions) *adminTest {
	t.Helper()
	fs := o.fs
	if fs == nil {
		fs = vfs.NewMem()
	}
	eng, err := engine.Open(context.Background(), engine.Options{
		FS: fs, Dir: "/data", SegmentSize: 64 << 10, BlockSize: 4 << 10,
		CompactionInterval: -1,
	})
	require.NoError(t, err)
	api := adminapi.New(adminapi.Config{Region: "us-east-1", Root: sigv4.StaticCredentials{testAdminAK: testAdminSK}})
	api.Attach(eng)
	srv := httptest.NewServer(api)
	t.Cleanup(func() {
		srv.Close()
		api.Detach()
		if o.broken {
			eng.Close()
			return
		}
		if o.corrupt == nil || !*o.corrupt {
			rep, err := eng.Verify(context.Background(), nil)
			require.NoError(t, err)
			for _, p := range rep.Problems {
				t.Errorf("verify: %s", p)
			}
			arep, err := eng.VerifyAudit(context.Background())
			require.NoError(t, err)
			for _, p := range arep.Problems {
				t.Errorf("audit verify: %s", p)
			}
		}
		require.NoError(t, eng.Close())
	})
	return &adminTest{eng: eng, fs: fs, api: api, srv: srv, ak: testAdminAK, sk: testAdminSK}
}

// as returns a copy of at whose calls are signed with ak, sk.
func (at *adminTest) as(ak, sk string) *adminTest {
	c := *at
	c.ak, c.sk = ak, sk
	return &c
}

// url is the URL of an admin path (relative to adminapi.Prefix).
func (at *adminTest) url(path string) string { return at.srv.URL + adminapi.Prefix + path }

// sign signs req with ak, sk for region and service, for a body with the
// given hex SHA-256 (or UNSIGNED-PAYLOAD).
func sign(t *testing.T, req *http.Request, ak, sk, region, service, payloadHash string) {
	t.Helper()
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	require.NoError(t, signer.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk},
		req, payloadHash, service, region, time.Now()))
}

// call sends a signed request and returns status, content type and body.
func (at *adminTest) call(t *testing.T, method, path string, q url.Values) (int, string, []byte) {
	t.Helper()
	u, err := url.Parse(at.url(path))
	require.NoError(t, err)
	u.RawQuery = q.Encode()
	req, err := http.NewRequest(method, u.String(), nil)
	require.NoError(t, err)
	sign(t, req, at.ak, at.sk, "us-east-1", adminapi.Service, emptySHA256)
	return doRaw(t, req)
}

// callBody sends a signed request with a body; signedHash "" signs the
// body's own SHA-256.
func (at *adminTest) callBody(t *testing.T, method, path string, body []byte, signedHash string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, at.url(path), bytes.NewReader(body))
	require.NoError(t, err)
	if signedHash == "" {
		sum := sha256.Sum256(body)
		signedHash = hex.EncodeToString(sum[:])
	}
	sign(t, req, at.ak, at.sk, "us-east-1", adminapi.Service, signedHash)
	st, _, b := doRaw(t, req)
	return st, b
}

func doRaw(t *testing.T, req *http.Request) (int, string, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

func decodeAPIError(t *testing.T, b []byte) adminapi.ErrorBody {
	t.Helper()
	var e adminapi.ErrorBody
	require.NoError(t, json.Unmarshal(b, &e), "body %s", b)
	require.NotEmpty(t, e.Message)
	return e
}

// auditAll returns the engine's whole audit stream.
func (at *adminTest) auditAll(t *testing.T) []engine.AuditEntry {
	t.Helper()
	var out []engine.AuditEntry
	require.NoError(t, at.eng.AuditEntries(context.Background(), 1, func(e engine.AuditEntry) error {
		out = append(out, e)
		return nil
	}))
	return out
}
