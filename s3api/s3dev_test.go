package s3api_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/cespare/xxhash/v2"
	"github.com/stretchr/testify/require"
	"github.com/zeebo/xxh3"

	"github.com/wormstore/wormstore/engine"
)

// uploadParts uploads n parts of testMinPart bytes (the last one 10) and
// returns the CompletedPart list.
func (e *testEnv) uploadParts(bucket, key string, id *string, n int, alg types.ChecksumAlgorithm) []types.CompletedPart {
	e.t.Helper()
	var out []types.CompletedPart
	for i := 1; i <= n; i++ {
		size := testMinPart
		if i == n {
			size = 10
		}
		up, err := e.s3.UploadPart(ctx(), &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: id, PartNumber: aws.Int32(int32(i)),
			Body: bytes.NewReader(bytes.Repeat([]byte{byte(i)}, size)), ChecksumAlgorithm: alg})
		require.NoError(e.t, err)
		out = append(out, types.CompletedPart{PartNumber: aws.Int32(int32(i)), ETag: up.ETag, ChecksumCRC32: up.ChecksumCRC32,
			ChecksumSHA256: up.ChecksumSHA256, ChecksumSHA512: up.ChecksumSHA512})
	}
	return out
}

// TestRepeatedCompleteMultipart: a retried Complete under default COMPLIANCE
// retention answers 200 with the same ETag and version id, and leaves one
// version.
func TestRepeatedCompleteMultipart(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.s3
	e.mustCreateBucket("retry", true)
	_, err := c.PutObjectLockConfiguration(ctx(), &s3.PutObjectLockConfigurationInput{Bucket: aws.String("retry"),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeCompliance, Days: aws.Int32(1)}}}})
	require.NoError(t, err)
	mp, err := c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String("retry"), Key: aws.String("k")})
	require.NoError(t, err)
	parts := e.uploadParts("retry", "k", mp.UploadId, 2, "")
	in := &s3.CompleteMultipartUploadInput{Bucket: aws.String("retry"), Key: aws.String("k"), UploadId: mp.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}
	first, err := c.CompleteMultipartUpload(ctx(), in)
	require.NoError(t, err)
	again, err := c.CompleteMultipartUpload(ctx(), in)
	require.NoError(t, err)
	require.Equal(t, aws.ToString(first.ETag), aws.ToString(again.ETag))
	require.Equal(t, aws.ToString(first.VersionId), aws.ToString(again.VersionId))
	require.Equal(t, aws.ToString(first.Location), aws.ToString(again.Location))
	lv, err := c.ListObjectVersions(ctx(), &s3.ListObjectVersionsInput{Bucket: aws.String("retry")})
	require.NoError(t, err)
	require.Len(t, lv.Versions, 1, "a retried Complete must not leave a second undeletable version")
	// Other parts than those completed: NoSuchUpload.
	in.MultipartUpload.Parts = parts[:1]
	_, err = c.CompleteMultipartUpload(ctx(), in)
	requireCode(t, err, "NoSuchUpload", http.StatusNotFound)
}

// TestDeleteBucketWithUploads: DeleteBucket aborts in-progress uploads of an
// otherwise empty bucket (each abort audited under DeleteBucket).
func TestDeleteBucketWithUploads(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.s3
	e.mustCreateBucket("rbf", false)
	for _, k := range []string{"a", "b"} {
		mp, err := c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String("rbf"), Key: aws.String(k)})
		require.NoError(t, err)
		e.uploadParts("rbf", k, mp.UploadId, 1, "")
	}
	e.mustPut("rbf", "obj", "x")
	_, err := c.DeleteBucket(ctx(), &s3.DeleteBucketInput{Bucket: aws.String("rbf")})
	requireCode(t, err, "BucketNotEmpty", http.StatusConflict)
	ups, err := c.ListMultipartUploads(ctx(), &s3.ListMultipartUploadsInput{Bucket: aws.String("rbf")})
	require.NoError(t, err)
	require.Len(t, ups.Uploads, 2)
	_, err = c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String("rbf"), Key: aws.String("obj")})
	require.NoError(t, err)
	_, err = c.DeleteBucket(ctx(), &s3.DeleteBucketInput{Bucket: aws.String("rbf")})
	require.NoError(t, err)
	_, err = c.HeadBucket(ctx(), &s3.HeadBucketInput{Bucket: aws.String("rbf")})
	require.Error(t, err)
	var aborted []string
	require.NoError(t, e.eng.AuditEntries(ctx(), 0, func(a engine.AuditEntry) error {
		if a.Operation == "DeleteBucket" && a.Detail == "upload-abort" && a.Outcome == engine.AuditOK {
			aborted = append(aborted, a.Key)
		}
		return nil
	}))
	require.ElementsMatch(t, []string{"a", "b"}, aborted)
}

// rawGet sends a presigned GET over a plain TCP connection and returns the
// response's header section as sent.
func (e *testEnv) rawGet(bucket, key string) string {
	e.t.Helper()
	ps := s3.NewPresignClient(e.s3)
	get, err := ps.PresignGetObject(ctx(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	require.NoError(e.t, err)
	u := strings.TrimPrefix(get.URL, e.srv.URL)
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	require.NoError(e.t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET "+u+" HTTP/1.1\r\nHost: "+strings.TrimPrefix(e.srv.URL, "http://")+"\r\nConnection: close\r\n\r\n")
	require.NoError(e.t, err)
	br := bufio.NewReader(conn)
	var sb strings.Builder
	for {
		line, err := br.ReadString('\n')
		require.NoError(e.t, err)
		if line == "\r\n" {
			return sb.String()
		}
		sb.WriteString(line)
	}
}

// TestUserMetadataLowerCase: x-amz-meta-* names go out lower case, as
// stored (AWS), not canonicalised.
func TestUserMetadataLowerCase(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("meta", false)
	_, err := e.s3.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("meta"), Key: aws.String("k"), Body: strings.NewReader("x"),
		Metadata: map[string]string{"Foo-Bar": "v"}})
	require.NoError(t, err)
	hdr := e.rawGet("meta", "k")
	require.Contains(t, hdr, "\r\nx-amz-meta-foo-bar: v\r\n")
	require.NotContains(t, hdr, "X-Amz-Meta-")
}

// TestSuspendedWritesOmitVersionID: writes making a null version answer no
// x-amz-version-id (PutObject, CopyObject, CompleteMultipartUpload).
func TestSuspendedWritesOmitVersionID(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.s3
	e.mustCreateBucket("susp", false)
	for _, st := range []types.BucketVersioningStatus{types.BucketVersioningStatusEnabled, types.BucketVersioningStatusSuspended} {
		_, err := c.PutBucketVersioning(ctx(), &s3.PutBucketVersioningInput{Bucket: aws.String("susp"),
			VersioningConfiguration: &types.VersioningConfiguration{Status: st}})
		require.NoError(t, err)
	}
	r := e.do("PUT", "/susp/put", nil, []byte("x"))
	require.Equal(t, 200, r.status)
	_, has := r.header["X-Amz-Version-Id"]
	require.False(t, has, "PutObject")
	r = e.do("PUT", "/susp/copy", http.Header{"X-Amz-Copy-Source": {"susp/put"}}, nil)
	require.Equal(t, 200, r.status, "%s", r.body)
	_, has = r.header["X-Amz-Version-Id"]
	require.False(t, has, "CopyObject")
	mp, err := c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String("susp"), Key: aws.String("mp")})
	require.NoError(t, err)
	parts := e.uploadParts("susp", "mp", mp.UploadId, 1, "")
	done, err := c.CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: aws.String("susp"), Key: aws.String("mp"),
		UploadId: mp.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	require.NoError(t, err)
	require.Nil(t, done.VersionId, "CompleteMultipartUpload")
}

// TestExpectedBucketOwner: x-amz-expected-bucket-owner must be the server's
// account id, else 403.
func TestExpectedBucketOwner(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.s3
	e.mustCreateBucket("owned", false)
	e.mustPut("owned", "k", "x")
	_, err := c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("owned"), Key: aws.String("k"), ExpectedBucketOwner: aws.String("000000000000")})
	require.NoError(t, err)
	_, err = c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String("owned"), Key: aws.String("k"), ExpectedBucketOwner: aws.String("111122223333")})
	requireCode(t, err, "AccessDenied", http.StatusForbidden)
	_, err = c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("owned"), Key: aws.String("n"), Body: strings.NewReader("x"), ExpectedBucketOwner: aws.String("111122223333")})
	requireCode(t, err, "AccessDenied", http.StatusForbidden)
	_, err = c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("owned"), Key: aws.String("n")})
	require.Error(t, err, "nothing stored")
	_, err = c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String("owned"), Key: aws.String("c"), CopySource: aws.String("owned/k"),
		ExpectedSourceBucketOwner: aws.String("111122223333")})
	requireCode(t, err, "AccessDenied", http.StatusForbidden)
	_, err = c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String("owned"), Key: aws.String("c"), CopySource: aws.String("owned/k"),
		ExpectedSourceBucketOwner: aws.String("000000000000"), ExpectedBucketOwner: aws.String("000000000000")})
	require.NoError(t, err)
}

// TestCompleteChecksumsAndSize: composite "<b64>-N" on Complete is
// verified; the checksum type must be the upload's; AWS's invalid
// combinations are refused; x-amz-mp-object-size is checked.
func TestCompleteChecksumsAndSize(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.s3
	e.mustCreateBucket("cks", false)
	for _, tc := range []struct {
		alg  types.ChecksumAlgorithm
		typ  types.ChecksumType
		code string
	}{
		{types.ChecksumAlgorithmSha256, types.ChecksumTypeFullObject, "InvalidRequest"},
		{types.ChecksumAlgorithmSha1, types.ChecksumTypeFullObject, "InvalidRequest"},
		{types.ChecksumAlgorithmCrc64nvme, types.ChecksumTypeComposite, "InvalidRequest"},
		{types.ChecksumAlgorithmMd5, "", "InvalidRequest"},
		{"BLAKE3", "", "InvalidRequest"},
	} {
		_, err := c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String("cks"), Key: aws.String("k"),
			ChecksumAlgorithm: tc.alg, ChecksumType: tc.typ})
		requireCode(t, err, tc.code, http.StatusBadRequest)
	}

	mp, err := c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String("cks"), Key: aws.String("k"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	require.NoError(t, err)
	// A part with another algorithm than the upload's.
	_, err = c.UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String("cks"), Key: aws.String("k"), UploadId: mp.UploadId,
		PartNumber: aws.Int32(9), Body: strings.NewReader("x"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	requireCode(t, err, "InvalidRequest", http.StatusBadRequest)
	parts := e.uploadParts("cks", "k", mp.UploadId, 2, types.ChecksumAlgorithmSha256)
	h := sha256.New()
	for _, p := range parts {
		raw, _ := base64.StdEncoding.DecodeString(aws.ToString(p.ChecksumSHA256))
		h.Write(raw)
	}
	composite := base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-2"
	size := int64(testMinPart + 10)
	in := func(sum string, typ types.ChecksumType, size int64) *s3.CompleteMultipartUploadInput {
		return &s3.CompleteMultipartUploadInput{Bucket: aws.String("cks"), Key: aws.String("k"), UploadId: mp.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}, ChecksumSHA256: aws.String(sum), ChecksumType: typ, MpuObjectSize: aws.Int64(size)}
	}
	_, err = c.CompleteMultipartUpload(ctx(), in(strings.Repeat("A", 43)+"=-2", "", size))
	requireCode(t, err, "BadDigest", http.StatusBadRequest)
	_, err = c.CompleteMultipartUpload(ctx(), in(composite, types.ChecksumTypeFullObject, size))
	requireCode(t, err, "InvalidRequest", http.StatusBadRequest)
	_, err = c.CompleteMultipartUpload(ctx(), in(composite, "", size+1))
	requireCode(t, err, "InvalidRequest", http.StatusBadRequest)
	done, err := c.CompleteMultipartUpload(ctx(), in(composite, types.ChecksumTypeComposite, size))
	require.NoError(t, err)
	require.Equal(t, composite, aws.ToString(done.ChecksumSHA256))
	require.Equal(t, e.srv.URL+"/cks/k", aws.ToString(done.Location), "absolute Location")

	// The same value without its -N suffix is accepted too.
	mp2, err := c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String("cks"), Key: aws.String("a b/c"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	require.NoError(t, err)
	mp = mp2
	parts = e.uploadParts("cks", "a b/c", mp.UploadId, 2, types.ChecksumAlgorithmSha256)
	done, err = c.CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: aws.String("cks"), Key: aws.String("a b/c"),
		UploadId: mp.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}, ChecksumSHA256: aws.String(strings.TrimSuffix(composite, "-2"))})
	require.NoError(t, err)
	require.Equal(t, e.srv.URL+"/cks/a%20b/c", aws.ToString(done.Location))
}

// TestCompleteLocationVirtualHost: the Location of a virtual-hosted
// request names the bucket in the host.
func TestCompleteLocationVirtualHost(t *testing.T) {
	e := newEnv(t, envOptions{domain: "s3.wormstore.test"})
	e.mustCreateBucket("vhb", false)
	mp, err := e.s3.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String("vhb"), Key: aws.String("k")})
	require.NoError(t, err)
	parts := e.uploadParts("vhb", "k", mp.UploadId, 1, "")
	body := `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>` + aws.ToString(parts[0].ETag) + `</ETag></Part></CompleteMultipartUpload>`
	r := e.send(e.signed("POST", "/k?uploadId="+aws.ToString(mp.UploadId), "vhb.s3.wormstore.test:9000", nil, strings.NewReader(body), sha256Hex(body)))
	require.Equal(t, 200, r.status, "%s", r.body)
	require.Contains(t, string(r.body), "<Location>http://vhb.s3.wormstore.test:9000/k</Location>")
}

// TestRangeEdgeCases: "bytes= -1" is no suffix range (whole object), a
// suffix range of an empty object is the whole empty object.
func TestRangeEdgeCases(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("rng", false)
	e.mustPut("rng", "k", "0123456789")
	e.mustPut("rng", "empty", "")
	for _, tc := range []struct {
		key, rng string
		status   int
		body     string
	}{
		{"k", "bytes=-3", 206, "789"},
		{"k", "bytes= -1", 200, "0123456789"},
		{"k", "bytes=+1-2", 200, "0123456789"},
		{"k", "bytes=2-3", 206, "23"},
		{"empty", "bytes=-5", 200, ""},
		{"empty", "bytes=0-", 416, ""},
	} {
		r := e.do("GET", "/rng/"+tc.key, http.Header{"Range": {tc.rng}}, nil)
		require.Equal(t, tc.status, r.status, "%s %q: %s", tc.key, tc.rng, r.body)
		if tc.status != 416 {
			require.Equal(t, tc.body, string(r.body), "%s %q", tc.key, tc.rng)
		}
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// TestNewChecksumAlgorithms: SHA512, MD5, XXHASH64, XXHASH3 and XXHASH128
// in x-amz-checksum-* are verified (BadDigest), stored and returned,
// big-endian and base64 as AWS encodes them.
func TestNewChecksumAlgorithms(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.s3
	e.mustCreateBucket("nck", false)
	// Published vectors of the empty input.
	require.Equal(t, b64(be64(0xef46db3751d8e999)), b64(be64(xxhash.Sum64(nil))))
	require.Equal(t, b64(be64(0x2d06800538d394c2)), b64(be64(xxh3.Hash(nil))))
	data := []byte("The quick brown fox jumps over the lazy dog")
	s512 := sha512.Sum512(data)
	u128 := xxh3.Hash128(data).Bytes()
	cases := []struct {
		header, value string
		get           func(*s3.HeadObjectOutput) *string
	}{
		{"x-amz-checksum-sha512", b64(s512[:]), func(o *s3.HeadObjectOutput) *string { return o.ChecksumSHA512 }},
		{"x-amz-checksum-md5", b64(md5Of(data)), func(o *s3.HeadObjectOutput) *string { return o.ChecksumMD5 }},
		{"x-amz-checksum-xxhash64", b64(be64(xxhash.Sum64(data))), func(o *s3.HeadObjectOutput) *string { return o.ChecksumXXHASH64 }},
		{"x-amz-checksum-xxhash3", b64(be64(xxh3.Hash(data))), func(o *s3.HeadObjectOutput) *string { return o.ChecksumXXHASH3 }},
		{"x-amz-checksum-xxhash128", b64(u128[:]), func(o *s3.HeadObjectOutput) *string { return o.ChecksumXXHASH128 }},
	}
	for _, tc := range cases {
		key := strings.TrimPrefix(tc.header, "x-amz-checksum-")
		r := e.do("PUT", "/nck/"+key, http.Header{http.CanonicalHeaderKey(tc.header): {tc.value}}, data)
		require.Equal(t, 200, r.status, "%s: %s", tc.header, r.body)
		require.Equal(t, tc.value, r.header.Get(tc.header))
		r = e.do("PUT", "/nck/bad-"+key, http.Header{http.CanonicalHeaderKey(tc.header): {tc.value}}, []byte("other data"))
		require.Equal(t, 400, r.status, tc.header)
		require.Equal(t, "BadDigest", r.errorDoc(t).Code, tc.header)
		head, err := c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("nck"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		require.NoError(t, err)
		require.Equal(t, tc.value, aws.ToString(tc.get(head)), tc.header)
	}
	// The SDK sends precomputed values of the new algorithms.
	_, err := c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("nck"), Key: aws.String("sdk"), Body: bytes.NewReader(data),
		ChecksumSHA512: aws.String(b64(s512[:]))})
	require.NoError(t, err)
	_, err = c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("nck"), Key: aws.String("sdk-bad"), Body: bytes.NewReader(data),
		ChecksumXXHASH3: aws.String(b64(be64(1)))})
	requireCode(t, err, "BadDigest", http.StatusBadRequest)
	// A wrong-length value is refused before anything is read.
	r := e.do("PUT", "/nck/short", http.Header{"X-Amz-Checksum-Xxhash128": {b64(be64(1))}}, data)
	require.Equal(t, 400, r.status)

	// Multipart with SHA512: COMPOSITE, as for SHA256.
	mp, err := c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String("nck"), Key: aws.String("mp"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha512})
	require.NoError(t, err)
	require.Equal(t, types.ChecksumTypeComposite, mp.ChecksumType)
	var parts []types.CompletedPart
	h := sha512.New()
	for i := 1; i <= 2; i++ {
		body := bytes.Repeat([]byte{byte(i)}, testMinPart)
		ps := sha512.Sum512(body)
		up, err := c.UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String("nck"), Key: aws.String("mp"), UploadId: mp.UploadId,
			PartNumber: aws.Int32(int32(i)), Body: bytes.NewReader(body), ChecksumSHA512: aws.String(b64(ps[:]))})
		require.NoError(t, err)
		h.Write(ps[:])
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i)), ETag: up.ETag, ChecksumSHA512: up.ChecksumSHA512})
	}
	done, err := c.CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: aws.String("nck"), Key: aws.String("mp"),
		UploadId: mp.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	require.NoError(t, err)
	require.Equal(t, b64(h.Sum(nil))+"-2", aws.ToString(done.ChecksumSHA512))
}

// TestWebsiteRedirectLocation: stored, returned on GET/HEAD, validated, not
// carried over by CopyObject.
func TestWebsiteRedirectLocation(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.s3
	e.mustCreateBucket("web", false)
	for _, loc := range []string{"/other/page.html", "https://example.com/x"} {
		_, err := c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("web"), Key: aws.String("k"), Body: strings.NewReader("x"),
			WebsiteRedirectLocation: aws.String(loc)})
		require.NoError(t, err)
		head, err := c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("web"), Key: aws.String("k")})
		require.NoError(t, err)
		require.Equal(t, loc, aws.ToString(head.WebsiteRedirectLocation))
		get, err := c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String("web"), Key: aws.String("k")})
		require.NoError(t, err)
		get.Body.Close()
		require.Equal(t, loc, aws.ToString(get.WebsiteRedirectLocation))
	}
	for _, bad := range []string{"ftp://example.com/", "relative.html", "/" + strings.Repeat("a", 2048)} {
		_, err := c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("web"), Key: aws.String("bad"), Body: strings.NewReader("x"),
			WebsiteRedirectLocation: aws.String(bad)})
		requireCode(t, err, "InvalidRedirectLocation", http.StatusBadRequest)
	}
	_, err := c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String("web"), Key: aws.String("copy"), CopySource: aws.String("web/k")})
	require.NoError(t, err)
	head, err := c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("web"), Key: aws.String("copy")})
	require.NoError(t, err)
	require.Nil(t, head.WebsiteRedirectLocation, "not copied, as AWS")
	// Copying onto itself only to set a redirect is a legal change.
	_, err = c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String("web"), Key: aws.String("copy"), CopySource: aws.String("web/copy"),
		WebsiteRedirectLocation: aws.String("/new")})
	require.NoError(t, err)
	head, err = c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("web"), Key: aws.String("copy")})
	require.NoError(t, err)
	require.Equal(t, "/new", aws.ToString(head.WebsiteRedirectLocation))
}

// TestAWSErrorDetails: the codes and elements AWS answers with.
func TestAWSErrorDetails(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("errs", false)

	// A header section above 8 KiB, before authentication.
	req, err := http.NewRequest("GET", e.srv.URL+"/errs/k", nil)
	require.NoError(t, err)
	req.Header.Set("X-Padding", strings.Repeat("p", 8<<10))
	r := e.send(req)
	require.Equal(t, 400, r.status, "%s", r.body)
	require.Equal(t, "RequestHeaderSectionTooLarge", r.errorDoc(t).Code)

	// InvalidAccessKeyId names the key.
	req, err = http.NewRequest("GET", e.srv.URL+"/errs/k", nil)
	require.NoError(t, err)
	req.Header.Set("x-amz-content-sha256", sha256Hex(""))
	require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIANOSUCHKEY", SecretAccessKey: "x"},
		req, sha256Hex(""), "s3", testRegion, time.Now()))
	r = e.send(req)
	require.Equal(t, 403, r.status)
	require.Equal(t, "InvalidAccessKeyId", r.errorDoc(t).Code)
	require.Contains(t, string(r.body), "<AWSAccessKeyId>AKIANOSUCHKEY</AWSAccessKeyId>")

	// An empty body where one is required.
	r = e.do("PUT", "/errs?versioning", nil, nil)
	require.Equal(t, 400, r.status)
	require.Equal(t, "MissingRequestBodyError", r.errorDoc(t).Code)

	// ArgumentName and ArgumentValue on a bad lock header.
	r = e.do("PUT", "/errs/k", http.Header{"X-Amz-Object-Lock-Legal-Hold": {"maybe"}}, []byte("x"))
	require.Equal(t, 400, r.status)
	require.Equal(t, "InvalidArgument", r.errorDoc(t).Code)
	require.Contains(t, string(r.body), "<ArgumentName>x-amz-object-lock-legal-hold</ArgumentName><ArgumentValue>maybe</ArgumentValue>")
}

// TestNewChecksumTrailers: the new algorithms in an aws-chunked trailer
// are verified too; a trailer section that is not "name:value" is
// MalformedTrailerError.
func TestNewChecksumTrailers(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("trl", false)
	chunked := func(key, name, trailerLine string) *http.Request {
		body := "4\r\ndata\r\n0\r\n" + trailerLine + "\r\n\r\n"
		return e.signed("PUT", "/trl/"+key, "", http.Header{
			"Content-Encoding": {"aws-chunked"}, "X-Amz-Decoded-Content-Length": {"4"},
			"X-Amz-Trailer": {name}, "X-Amz-Sdk-Checksum-Algorithm": {strings.ToUpper(strings.TrimPrefix(name, "x-amz-checksum-"))},
		}, strings.NewReader(body), "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
	}
	s512 := sha512.Sum512([]byte("data"))
	good := map[string]string{
		"x-amz-checksum-sha512":   b64(s512[:]),
		"x-amz-checksum-xxhash64": b64(be64(xxhash.Sum64String("data"))),
		"x-amz-checksum-xxhash3":  b64(be64(xxh3.HashString("data"))),
	}
	for name, v := range good {
		r := e.send(chunked("ok", name, name+":"+v))
		require.Equal(t, 200, r.status, "%s: %s", name, r.body)
		r = e.send(chunked("bad", name, name+":"+b64(make([]byte, len(mustB64(t, v))))))
		require.Equal(t, 400, r.status, name)
		require.Equal(t, "BadDigest", r.errorDoc(t).Code, name)
	}
	r := e.send(chunked("malformed", "x-amz-checksum-xxhash3", "no colon here"))
	require.Equal(t, 400, r.status, "%s", r.body)
	require.Equal(t, "MalformedTrailerError", r.errorDoc(t).Code)
	r = e.do("HEAD", "/trl/bad", nil, nil)
	require.Equal(t, 404, r.status, "nothing stored")
}

func mustB64(t *testing.T, s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}
