package s3api_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"
)

// TestRangeGET checks Range handling against a 10-byte object.
func TestRangeGET(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("rng", false)
	e.mustPut("rng", "k", "0123456789")
	e.mustPut("rng", "empty", "")
	tests := []struct {
		rng, want, contentRange string
		status                  int
	}{
		{"bytes=0-3", "0123", "bytes 0-3/10", 206},
		{"bytes=7-", "789", "bytes 7-9/10", 206},
		{"bytes=-3", "789", "bytes 7-9/10", 206},
		{"bytes=-30", "0123456789", "bytes 0-9/10", 206},
		{"bytes=5-100", "56789", "bytes 5-9/10", 206},
		{"bytes=9-9", "9", "bytes 9-9/10", 206},
		{"bytes=10-", "", "bytes */10", 416},
		{"bytes=-0", "", "bytes */10", 416},
		{"bytes=5-2", "0123456789", "", 200},     // malformed: ignored
		{"bytes=0-1,3-4", "0123456789", "", 200}, // multiple ranges: whole object
		{"items=0-1", "0123456789", "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.rng, func(t *testing.T) {
			r := e.do("GET", "/rng/k", http.Header{"Range": {tc.rng}}, nil)
			require.Equal(t, tc.status, r.status, "body %s", r.body)
			require.Equal(t, tc.contentRange, r.header.Get("Content-Range"))
			if tc.status == 416 {
				require.Equal(t, "InvalidRange", r.errorDoc(t).Code)
				return
			}
			require.Equal(t, tc.want, string(r.body))
		})
	}
	r := e.do("GET", "/rng/empty", http.Header{"Range": {"bytes=0-"}}, nil)
	require.Equal(t, 416, r.status)
	r = e.do("GET", "/rng/k?partNumber=1", http.Header{"Range": {"bytes=0-1"}}, nil)
	require.Equal(t, 400, r.status)
	r = e.do("GET", "/rng/k?partNumber=1", nil, nil)
	require.Equal(t, 206, r.status)
	require.Equal(t, "0123456789", string(r.body))
}

// TestConditionalGET checks If-* precedence on GET and HEAD.
func TestConditionalGET(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("cond", false)
	e.mustPut("cond", "k", "data")
	r := e.do("HEAD", "/cond/k", nil, nil)
	etag := r.header.Get("ETag")
	mod, err := http.ParseTime(r.header.Get("Last-Modified"))
	require.NoError(t, err)
	before := mod.Add(-time.Hour).Format(http.TimeFormat)
	after := mod.Add(time.Hour).Format(http.TimeFormat)
	at := mod.Format(http.TimeFormat)
	tests := []struct {
		name   string
		hdr    http.Header
		status int
	}{
		{"If-Match ok", http.Header{"If-Match": {etag}}, 200},
		{"If-Match star", http.Header{"If-Match": {"*"}}, 200},
		{"If-Match list", http.Header{"If-Match": {`"nope", ` + etag}}, 200},
		{"If-Match fails", http.Header{"If-Match": {`"nope"`}}, 412},
		{"If-None-Match hit", http.Header{"If-None-Match": {etag}}, 304},
		{"If-None-Match miss", http.Header{"If-None-Match": {`"nope"`}}, 200},
		{"If-Modified-Since before", http.Header{"If-Modified-Since": {before}}, 200},
		{"If-Modified-Since at", http.Header{"If-Modified-Since": {at}}, 304},
		{"If-Unmodified-Since after", http.Header{"If-Unmodified-Since": {after}}, 200},
		{"If-Unmodified-Since before", http.Header{"If-Unmodified-Since": {before}}, 412},
		// If-Match true wins over a failing If-Unmodified-Since.
		{"If-Match and If-Unmodified-Since", http.Header{"If-Match": {etag}, "If-Unmodified-Since": {before}}, 200},
		// If-None-Match false (no match) wins over If-Modified-Since.
		{"If-None-Match miss and If-Modified-Since at", http.Header{"If-None-Match": {`"nope"`}, "If-Modified-Since": {at}}, 200},
		{"If-None-Match hit and If-Modified-Since before", http.Header{"If-None-Match": {etag}, "If-Modified-Since": {before}}, 304},
		{"If-Match fails before If-None-Match", http.Header{"If-Match": {`"nope"`}, "If-None-Match": {etag}}, 412},
	}
	for _, tc := range tests {
		for _, m := range []string{"GET", "HEAD"} {
			t.Run(m+" "+tc.name, func(t *testing.T) {
				r := e.do(m, "/cond/k", tc.hdr, nil)
				require.Equal(t, tc.status, r.status, "body %s", r.body)
				switch tc.status {
				case 304:
					require.Empty(t, r.body)
					require.Equal(t, etag, r.header.Get("ETag"))
				case 412:
					if m == "GET" {
						require.Equal(t, "PreconditionFailed", r.errorDoc(t).Code)
					}
				}
			})
		}
	}
}

// TestObjectHeaders checks stored headers, response-* overrides,
// aws-chunked stripping, If-None-Match/If-Match on PUT and BadDigest.
func TestObjectHeaders(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.s3
	e.mustCreateBucket("hdrs", false)
	r := e.do("PUT", "/hdrs/k", http.Header{
		"Content-Type": {"text/html"}, "Content-Disposition": {"attachment"}, "Content-Encoding": {"gzip"},
		"Content-Language": {"de"}, "Expires": {"Wed, 21 Oct 2037 07:28:00 GMT"}, "X-Amz-Meta-Owner": {"alice"},
		"X-Amz-Meta-Multi-Word": {"x y"},
	}, []byte("<p>hi</p>"))
	require.Equal(t, 200, r.status, "%s", r.body)
	r = e.do("GET", "/hdrs/k", nil, nil)
	require.Equal(t, "text/html", r.header.Get("Content-Type"))
	require.Equal(t, "attachment", r.header.Get("Content-Disposition"))
	require.Equal(t, "gzip", r.header.Get("Content-Encoding"))
	require.Equal(t, "de", r.header.Get("Content-Language"))
	require.Equal(t, "Wed, 21 Oct 2037 07:28:00 GMT", r.header.Get("Expires"))
	require.Equal(t, "alice", r.header.Get("X-Amz-Meta-Owner"))
	require.Equal(t, "x y", r.header.Get("X-Amz-Meta-Multi-Word"))
	require.Equal(t, "bytes", r.header.Get("Accept-Ranges"))
	require.NotEmpty(t, r.header.Get("x-amz-request-id"))
	require.NotEmpty(t, r.header.Get("x-amz-id-2"))
	require.Equal(t, "wormstore", r.header.Get("Server"))

	r = e.do("GET", "/hdrs/k?response-content-type=application/json&response-content-disposition=inline&response-cache-control=no-cache", nil, nil)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	require.Equal(t, "inline", r.header.Get("Content-Disposition"))
	require.Equal(t, "no-cache", r.header.Get("Cache-Control"))

	// Conditional writes.
	_, err := c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("hdrs"), Key: aws.String("k"), Body: strings.NewReader("x"), IfNoneMatch: aws.String("*")})
	requireCode(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
	_, err = c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("hdrs"), Key: aws.String("new"), Body: strings.NewReader("x"), IfNoneMatch: aws.String("*")})
	require.NoError(t, err)
	_, err = c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("hdrs"), Key: aws.String("new"), Body: strings.NewReader("y"), IfMatch: aws.String(`"00000000000000000000000000000000"`)})
	requireCode(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
	_, err = c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("hdrs"), Key: aws.String("new"), Body: strings.NewReader("y"), IfMatch: aws.String(`"9dd4e461268c8034f5c8564e155c67a6"`)})
	require.NoError(t, err)

	// Integrity failures store nothing.
	r = e.do("PUT", "/hdrs/bad", md5Header("other"), []byte("data"))
	require.Equal(t, 400, r.status)
	require.Equal(t, "BadDigest", r.errorDoc(t).Code)
	r = e.do("PUT", "/hdrs/bad", http.Header{"X-Amz-Checksum-Crc32": {crc32b64("other")}}, []byte("data"))
	require.Equal(t, 400, r.status)
	require.Equal(t, "BadDigest", r.errorDoc(t).Code)
	r = e.do("PUT", "/hdrs/bad", http.Header{"X-Amz-Content-Sha256": {strings.Repeat("a", 64)}}, []byte("data"))
	require.Equal(t, 400, r.status)
	require.Equal(t, "XAmzContentSHA256Mismatch", r.errorDoc(t).Code)
	_, err = c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("hdrs"), Key: aws.String("bad")})
	requireCode(t, err, "NotFound", http.StatusNotFound)

	// Unsupported features are refused, not ignored.
	r = e.do("PUT", "/hdrs/sse", http.Header{"X-Amz-Server-Side-Encryption": {"AES256"}}, []byte("x"))
	require.Equal(t, 501, r.status)
	r = e.do("PUT", "/hdrs/sc", http.Header{"X-Amz-Storage-Class": {"PLATINUM"}}, []byte("x"))
	require.Equal(t, "InvalidStorageClass", r.errorDoc(t).Code)
	r = e.do("PUT", "/hdrs/meta", http.Header{"X-Amz-Meta-Big": {strings.Repeat("m", 2100)}}, []byte("x"))
	require.Equal(t, "MetadataTooLarge", r.errorDoc(t).Code)
	r = e.do("PUT", "/hdrs/"+strings.Repeat("k", 1025), nil, []byte("x"))
	require.Equal(t, "KeyTooLongError", r.errorDoc(t).Code)
}

// TestVersioningIDs checks version ids and "null" across versioning
// states, and DeleteObject of a missing version.
func TestVersioningIDs(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.s3
	e.mustCreateBucket("ver", false)
	require.Empty(t, e.mustPut("ver", "k", "v0"), "no version id before versioning")
	_, err := c.PutBucketVersioning(ctx(), &s3.PutBucketVersioningInput{Bucket: aws.String("ver"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	require.NoError(t, err)
	v1 := e.mustPut("ver", "k", "v1")
	require.NotEmpty(t, v1)
	require.NotEqual(t, "null", v1)
	_, err = c.PutBucketVersioning(ctx(), &s3.PutBucketVersioningInput{Bucket: aws.String("ver"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	require.NoError(t, err)
	// As AWS: a write in a Suspended bucket makes a null version and
	// answers no x-amz-version-id; GET and HEAD of it report "null".
	require.Empty(t, e.mustPut("ver", "k", "v2"))
	head, err := c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("ver"), Key: aws.String("k")})
	require.NoError(t, err)
	require.Equal(t, "null", aws.ToString(head.VersionId))

	lv, err := c.ListObjectVersions(ctx(), &s3.ListObjectVersionsInput{Bucket: aws.String("ver")})
	require.NoError(t, err)
	require.Len(t, lv.Versions, 2, "the suspended put replaced the first null version")
	require.Equal(t, "null", aws.ToString(lv.Versions[0].VersionId))
	require.True(t, aws.ToBool(lv.Versions[0].IsLatest))
	require.Equal(t, v1, aws.ToString(lv.Versions[1].VersionId))

	get, err := c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String("ver"), Key: aws.String("k"), VersionId: aws.String(v1)})
	require.NoError(t, err)
	b, _ := io.ReadAll(get.Body)
	get.Body.Close()
	require.Equal(t, "v1", string(b))
	require.Equal(t, v1, aws.ToString(get.VersionId))

	_, err = c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String("ver"), Key: aws.String("k"), VersionId: aws.String("00000000000000ff")})
	require.NoError(t, err, "deleting a missing version succeeds, as AWS")
	_, err = c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String("ver"), Key: aws.String("k"), VersionId: aws.String("not-a-version")})
	requireCode(t, err, "InvalidArgument", http.StatusBadRequest)
	_, err = c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String("ver"), Key: aws.String("k"), VersionId: aws.String("00000000000000ff")})
	requireCode(t, err, "NoSuchVersion", http.StatusNotFound)
	_, err = c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String("ver"), Key: aws.String("never-existed")})
	require.NoError(t, err)
}

// TestCopyObject covers CopyObject: metadata directive, source versions,
// copy-source conditions, lock headers and the self-copy rule.
func TestCopyObject(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.s3
	e.mustCreateBucket("src", true)
	e.mustCreateBucket("dst", true)
	_, err := c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String("a b"), Body: strings.NewReader("first"),
		ContentType: aws.String("text/plain"), Metadata: map[string]string{"k": "v"}})
	require.NoError(t, err)
	first, err := c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("src"), Key: aws.String("a b")})
	require.NoError(t, err)
	e.mustPut("src", "a b", "second")

	out, err := c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy"), CopySource: aws.String("src/a%20b")})
	require.NoError(t, err)
	require.Equal(t, `"a9f0e61a137d86aa9db53465e0801612"`, aws.ToString(out.CopyObjectResult.ETag))
	require.NotEmpty(t, aws.ToString(out.VersionId))
	require.Equal(t, "second", e.mustGet("dst", "copy"))

	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	_, err = c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("old"),
		CopySource:     aws.String("src/a%20b?versionId=" + aws.ToString(first.VersionId)),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: &until})
	require.NoError(t, err)
	head, err := c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String("old")})
	require.NoError(t, err)
	require.Equal(t, "text/plain", aws.ToString(head.ContentType))
	require.Equal(t, "v", head.Metadata["k"])
	require.Equal(t, types.ObjectLockModeGovernance, head.ObjectLockMode)
	require.Equal(t, "first", e.mustGet("dst", "old"))

	_, err = c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("replaced"), CopySource: aws.String("src/a%20b"),
		MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("application/x-new"), Metadata: map[string]string{"n": "1"}})
	require.NoError(t, err)
	head, err = c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String("replaced")})
	require.NoError(t, err)
	require.Equal(t, "application/x-new", aws.ToString(head.ContentType))
	require.Equal(t, map[string]string{"n": "1"}, head.Metadata)

	_, err = c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("x"), CopySource: aws.String("src/a%20b"), CopySourceIfMatch: aws.String(`"nope"`)})
	requireCode(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
	_, err = c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("x"), CopySource: aws.String("src/a%20b"), CopySourceIfNoneMatch: aws.String("*")})
	requireCode(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
	_, err = c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("x"), CopySource: aws.String("src/missing")})
	requireCode(t, err, "NoSuchKey", http.StatusNotFound)
	_, err = c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("x"), CopySource: aws.String("nobucket")})
	requireCode(t, err, "InvalidArgument", http.StatusBadRequest)
	_, err = c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String("src"), Key: aws.String("a b"), CopySource: aws.String("src/a%20b")})
	requireCode(t, err, "InvalidRequest", http.StatusBadRequest)
	_, err = c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String("src"), Key: aws.String("a b"), CopySource: aws.String("src/a%20b"), MetadataDirective: types.MetadataDirectiveReplace})
	require.NoError(t, err)

	dm, err := c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String("src"), Key: aws.String("a b")})
	require.NoError(t, err)
	_, err = c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("x"), CopySource: aws.String("src/a%20b")})
	requireCode(t, err, "NoSuchKey", http.StatusNotFound)
	_, err = c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("x"), CopySource: aws.String("src/a%20b?versionId=" + aws.ToString(dm.VersionId))})
	requireCode(t, err, "InvalidRequest", http.StatusBadRequest)
}

// TestDeleteObjects checks the batch delete: Quiet, delete markers,
// per-key errors and the 1000-key limit.
func TestDeleteObjects(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.s3
	e.mustCreateBucket("batch", true)
	e.mustPut("batch", "a", "1")
	held := e.mustPut("batch", "held", "2")
	_, err := c.PutObjectLegalHold(ctx(), &s3.PutObjectLegalHoldInput{Bucket: aws.String("batch"), Key: aws.String("held"), VersionId: &held,
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}})
	require.NoError(t, err)

	out, err := c.DeleteObjects(ctx(), &s3.DeleteObjectsInput{Bucket: aws.String("batch"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("a")}, {Key: aws.String("held"), VersionId: &held}, {Key: aws.String("held")},
	}}})
	require.NoError(t, err)
	require.Len(t, out.Deleted, 2)
	require.True(t, aws.ToBool(out.Deleted[0].DeleteMarker))
	require.NotEmpty(t, aws.ToString(out.Deleted[0].DeleteMarkerVersionId))
	require.Len(t, out.Errors, 1)
	require.Equal(t, "held", aws.ToString(out.Errors[0].Key))
	require.Equal(t, held, aws.ToString(out.Errors[0].VersionId))
	require.Equal(t, "AccessDenied", aws.ToString(out.Errors[0].Code))

	out, err = c.DeleteObjects(ctx(), &s3.DeleteObjectsInput{Bucket: aws.String("batch"), Delete: &types.Delete{Quiet: aws.Bool(true), Objects: []types.ObjectIdentifier{
		{Key: aws.String("a")}, {Key: aws.String("held"), VersionId: &held},
	}}})
	require.NoError(t, err)
	require.Empty(t, out.Deleted)
	require.Len(t, out.Errors, 1)

	var many bytes.Buffer
	many.WriteString("<Delete>")
	for range 1001 {
		many.WriteString("<Object><Key>k</Key></Object>")
	}
	many.WriteString("</Delete>")
	r := e.do("POST", "/batch?delete", md5Header(many.String()), many.Bytes())
	require.Equal(t, 400, r.status)
	require.Equal(t, "MalformedXML", r.errorDoc(t).Code)

	_, err = c.DeleteObjects(ctx(), &s3.DeleteObjectsInput{Bucket: aws.String("nobucket"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("a")}}}})
	requireCode(t, err, "NoSuchBucket", http.StatusNotFound)
}
