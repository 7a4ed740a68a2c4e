package s3api_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/crc64nvme"
	"github.com/stretchr/testify/require"
)

// testData returns n deterministic pseudo-random bytes.
func testData(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func b64crc32(b []byte, tab *crc32.Table) []byte {
	var out [4]byte
	binary.BigEndian.PutUint32(out[:], crc32.Checksum(b, tab))
	return out[:]
}

// multipartETag is md5(concat(md5(part)))-N.
func multipartETag(parts ...[]byte) string {
	h := md5.New()
	for _, p := range parts {
		s := md5.Sum(p)
		h.Write(s[:])
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(h.Sum(nil)), len(parts))
}

// TestMultipartChecksums uploads multipart objects with the SDK (header
// checksums over HTTP, trailers over HTTPS) in COMPOSITE and FULL_OBJECT
// mode and checks ETag, checksums, part GETs and the data.
func TestMultipartChecksums(t *testing.T) {
	for _, tls := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", tls), func(t *testing.T) {
			e := newEnv(t, envOptions{tls: tls})
			c := e.s3
			e.mustCreateBucket("mpu", false)
			parts := [][]byte{testData(1, testMinPart), testData(2, testMinPart+100), testData(3, 1000)}
			whole := bytes.Join(parts, nil)

			upload := func(key string, alg types.ChecksumAlgorithm, typ types.ChecksumType) *s3.CompleteMultipartUploadOutput {
				cr, err := c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String(key),
					ChecksumAlgorithm: alg, ChecksumType: typ, ContentType: aws.String("application/x-test")})
				require.NoError(t, err)
				var done []types.CompletedPart
				for i, p := range parts {
					up, err := c.UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String(key), UploadId: cr.UploadId,
						PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p), ChecksumAlgorithm: alg})
					require.NoError(t, err)
					done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: up.ETag,
						ChecksumCRC32: up.ChecksumCRC32, ChecksumCRC32C: up.ChecksumCRC32C})
				}
				out, err := c.CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String(key),
					UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
				require.NoError(t, err)
				require.Equal(t, multipartETag(parts...), aws.ToString(out.ETag))
				return out
			}

			// COMPOSITE CRC32: base64(crc32(concat(part crc32s)))-3.
			out := upload("composite", types.ChecksumAlgorithmCrc32, "")
			var concat []byte
			for _, p := range parts {
				concat = append(concat, b64crc32(p, crc32.IEEETable)...)
			}
			wantComposite := base64.StdEncoding.EncodeToString(b64crc32(concat, crc32.IEEETable)) + "-3"
			require.Equal(t, wantComposite, aws.ToString(out.ChecksumCRC32))
			require.Equal(t, types.ChecksumTypeComposite, out.ChecksumType)

			get, err := c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("composite"), ChecksumMode: types.ChecksumModeEnabled})
			require.NoError(t, err)
			got, err := io.ReadAll(get.Body)
			require.NoError(t, err)
			get.Body.Close()
			require.True(t, bytes.Equal(whole, got))
			require.Equal(t, wantComposite, aws.ToString(get.ChecksumCRC32))
			require.Equal(t, "application/x-test", aws.ToString(get.ContentType))

			part2, err := c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("composite"), PartNumber: aws.Int32(2)})
			require.NoError(t, err)
			got, _ = io.ReadAll(part2.Body)
			part2.Body.Close()
			require.True(t, bytes.Equal(parts[1], got))
			require.Equal(t, int32(3), aws.ToInt32(part2.PartsCount))
			require.Equal(t, fmt.Sprintf("bytes %d-%d/%d", len(parts[0]), len(parts[0])+len(parts[1])-1, len(whole)), aws.ToString(part2.ContentRange))
			_, err = c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("mpu"), Key: aws.String("composite"), PartNumber: aws.Int32(4)})
			requireCode(t, err, "RequestedRangeNotSatisfiable", http.StatusRequestedRangeNotSatisfiable)

			// FULL_OBJECT CRC32C: the CRC of the whole object.
			out = upload("full", types.ChecksumAlgorithmCrc32c, types.ChecksumTypeFullObject)
			require.Equal(t, base64.StdEncoding.EncodeToString(b64crc32(whole, crc32.MakeTable(crc32.Castagnoli))), aws.ToString(out.ChecksumCRC32C))
			require.Equal(t, types.ChecksumTypeFullObject, out.ChecksumType)
			get, err = c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("full"), ChecksumMode: types.ChecksumModeEnabled})
			require.NoError(t, err)
			_, err = io.ReadAll(get.Body) // the SDK validates full-object checksums
			require.NoError(t, err)
			get.Body.Close()
		})
	}
}

// TestMultipartDefaultChecksum completes an upload created without a
// checksum algorithm whose parts carry none either: the server computes
// CRC64NVME per part and combines them into the full-object CRC64NVME.
func TestMultipartDefaultChecksum(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("mpu", false)
	r := e.do("POST", "/mpu/obj?uploads", nil, nil)
	require.Equal(t, 200, r.status, "%s", r.body)
	var init struct {
		UploadID string `xml:"UploadId"`
	}
	require.NoError(t, xmlUnmarshal(r.body, &init))
	parts := [][]byte{testData(4, testMinPart), testData(5, 7)}
	var xmlParts string
	for i, p := range parts {
		r = e.do("PUT", fmt.Sprintf("/mpu/obj?partNumber=%d&uploadId=%s", i+1, init.UploadID), nil, p)
		require.Equal(t, 200, r.status, "%s", r.body)
		require.NotEmpty(t, r.header.Get("x-amz-checksum-crc64nvme"))
		xmlParts += fmt.Sprintf("<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i+1, r.header.Get("ETag"))
	}
	r = e.do("POST", "/mpu/obj?uploadId="+init.UploadID, nil, []byte("<CompleteMultipartUpload>"+xmlParts+"</CompleteMultipartUpload>"))
	require.Equal(t, 200, r.status, "%s", r.body)
	var done struct {
		ChecksumCRC64NVME string
		ChecksumType      string
	}
	require.NoError(t, xmlUnmarshal(r.body, &done))
	h := crc64nvme.New()
	h.Write(bytes.Join(parts, nil))
	require.Equal(t, base64.StdEncoding.EncodeToString(h.Sum(nil)), done.ChecksumCRC64NVME)
	require.Equal(t, "FULL_OBJECT", done.ChecksumType)
}

// TestMultipartOperations covers UploadPartCopy, ListParts,
// ListMultipartUploads, Abort and Complete's errors.
func TestMultipartOperations(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.s3
	e.mustCreateBucket("mpu", false)
	src := testData(7, 3*testMinPart)
	_, err := c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("mpu"), Key: aws.String("src"), Body: bytes.NewReader(src)})
	require.NoError(t, err)

	cr, err := c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("dst")})
	require.NoError(t, err)
	id := cr.UploadId
	cp1, err := c.UploadPartCopy(ctx(), &s3.UploadPartCopyInput{Bucket: aws.String("mpu"), Key: aws.String("dst"), UploadId: id, PartNumber: aws.Int32(1),
		CopySource: aws.String("mpu/src"), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", testMinPart, 2*testMinPart-1))})
	require.NoError(t, err)
	p2 := []byte("tail")
	up2, err := c.UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("dst"), UploadId: id, PartNumber: aws.Int32(2), Body: bytes.NewReader(p2)})
	require.NoError(t, err)
	_, err = c.UploadPartCopy(ctx(), &s3.UploadPartCopyInput{Bucket: aws.String("mpu"), Key: aws.String("dst"), UploadId: id, PartNumber: aws.Int32(3),
		CopySource: aws.String("mpu/src"), CopySourceRange: aws.String(fmt.Sprintf("bytes=0-%d", len(src)))})
	requireCode(t, err, "InvalidArgument", http.StatusBadRequest)

	lp, err := c.ListParts(ctx(), &s3.ListPartsInput{Bucket: aws.String("mpu"), Key: aws.String("dst"), UploadId: id, MaxParts: aws.Int32(1)})
	require.NoError(t, err)
	require.Len(t, lp.Parts, 1)
	require.True(t, aws.ToBool(lp.IsTruncated))
	require.Equal(t, int64(testMinPart), aws.ToInt64(lp.Parts[0].Size))
	lp, err = c.ListParts(ctx(), &s3.ListPartsInput{Bucket: aws.String("mpu"), Key: aws.String("dst"), UploadId: id, PartNumberMarker: lp.NextPartNumberMarker})
	require.NoError(t, err)
	require.Len(t, lp.Parts, 1)
	require.Equal(t, int32(2), aws.ToInt32(lp.Parts[0].PartNumber))

	other, err := c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("dir/other")})
	require.NoError(t, err)
	lu, err := c.ListMultipartUploads(ctx(), &s3.ListMultipartUploadsInput{Bucket: aws.String("mpu"), Delimiter: aws.String("/")})
	require.NoError(t, err)
	require.Len(t, lu.Uploads, 1)
	require.Equal(t, "dst", aws.ToString(lu.Uploads[0].Key))
	require.Len(t, lu.CommonPrefixes, 1)
	require.Equal(t, "dir/", aws.ToString(lu.CommonPrefixes[0].Prefix))
	_, err = c.AbortMultipartUpload(ctx(), &s3.AbortMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("dir/other"), UploadId: other.UploadId})
	require.NoError(t, err)
	_, err = c.ListParts(ctx(), &s3.ListPartsInput{Bucket: aws.String("mpu"), Key: aws.String("dir/other"), UploadId: other.UploadId})
	requireCode(t, err, "NoSuchUpload", http.StatusNotFound)

	complete := func(parts ...types.CompletedPart) error {
		_, err := c.CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("dst"),
			UploadId: id, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
		return err
	}
	part1 := types.CompletedPart{PartNumber: aws.Int32(1), ETag: cp1.CopyPartResult.ETag}
	part2 := types.CompletedPart{PartNumber: aws.Int32(2), ETag: up2.ETag}
	requireCode(t, complete(part2, part1), "InvalidPartOrder", http.StatusBadRequest)
	requireCode(t, complete(part1, types.CompletedPart{PartNumber: aws.Int32(2), ETag: aws.String(`"00000000000000000000000000000000"`)}), "InvalidPart", http.StatusBadRequest)
	requireCode(t, complete(part1, types.CompletedPart{PartNumber: aws.Int32(3), ETag: up2.ETag}), "InvalidPart", http.StatusBadRequest)
	requireCode(t, complete(types.CompletedPart{PartNumber: aws.Int32(2), ETag: up2.ETag, ChecksumCRC32: aws.String("AAAAAA==")}), "InvalidPart", http.StatusBadRequest)

	// A small part that is not the last.
	small, err := c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("small")})
	require.NoError(t, err)
	var sp []types.CompletedPart
	for i := 1; i <= 2; i++ {
		up, err := c.UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("small"), UploadId: small.UploadId, PartNumber: aws.Int32(int32(i)), Body: bytes.NewReader([]byte("x"))})
		require.NoError(t, err)
		sp = append(sp, types.CompletedPart{PartNumber: aws.Int32(int32(i)), ETag: up.ETag})
	}
	_, err = c.CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("small"),
		UploadId: small.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: sp}})
	requireCode(t, err, "EntityTooSmall", http.StatusBadRequest)

	require.NoError(t, complete(part1, part2))
	require.Equal(t, string(src[testMinPart:2*testMinPart])+"tail", e.mustGet("mpu", "dst"))
	// As AWS: completing it again answers the same result, without a
	// second version; other parts are an unknown upload.
	require.NoError(t, complete(part1, part2))
	requireCode(t, complete(part1), "NoSuchUpload", http.StatusNotFound)
}

// TestMultipartLock checks lock headers on CreateMultipartUpload and the
// checksum-algorithm rules of UploadPart.
func TestMultipartLock(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.s3
	e.mustCreateBucket("mpl", true)
	e.mustCreateBucket("plain", false)
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	_, err := c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String("plain"), Key: aws.String("k"),
		ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: &until})
	requireCode(t, err, "InvalidRequest", http.StatusBadRequest)

	cr, err := c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String("mpl"), Key: aws.String("k"),
		ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: &until,
		ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn, ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	require.NoError(t, err)
	require.Equal(t, types.ChecksumAlgorithmSha256, cr.ChecksumAlgorithm)
	_, err = c.UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String("mpl"), Key: aws.String("k"), UploadId: cr.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("x")), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	requireCode(t, err, "InvalidRequest", http.StatusBadRequest)
	up, err := c.UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String("mpl"), Key: aws.String("k"), UploadId: cr.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("x")), ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	require.NoError(t, err)
	require.NotEmpty(t, aws.ToString(up.ChecksumSHA256))
	done, err := c.CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpl"), Key: aws.String("k"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag, ChecksumSHA256: up.ChecksumSHA256}}}})
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(aws.ToString(done.ChecksumSHA256), "-1"))
	head, err := c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("mpl"), Key: aws.String("k")})
	require.NoError(t, err)
	require.Equal(t, types.ObjectLockModeCompliance, head.ObjectLockMode)
	require.Equal(t, types.ObjectLockLegalHoldStatusOn, head.ObjectLockLegalHoldStatus)
	_, err = c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String("mpl"), Key: aws.String("k"), VersionId: done.VersionId})
	requireCode(t, err, "AccessDenied", http.StatusForbidden)

	_, err = c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String("mpl"), Key: aws.String("k2"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha1, ChecksumType: types.ChecksumTypeFullObject})
	requireCode(t, err, "InvalidRequest", http.StatusBadRequest)
}
