package s3api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"
)

// TestGetObjectAttributes covers GetObjectAttributes through the SDK: the
// five attributes of a single-part and of a multipart object, ObjectParts
// pages, versionId, and AWS's errors.
func TestGetObjectAttributes(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.s3
	e.mustCreateBucket("attrs", false)
	_, err := c.PutBucketVersioning(ctx(), &s3.PutBucketVersioningInput{Bucket: aws.String("attrs"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	require.NoError(t, err)
	all := []types.ObjectAttributes{types.ObjectAttributesEtag, types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts,
		types.ObjectAttributesStorageClass, types.ObjectAttributesObjectSize}

	data := "single part body"
	sum := sha256.Sum256([]byte(data))
	put, err := c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("attrs"), Key: aws.String("one"), Body: strings.NewReader(data),
		ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum[:]))})
	require.NoError(t, err)
	e.mustPut("attrs", "one", "a newer version")

	got, err := c.GetObjectAttributes(ctx(), &s3.GetObjectAttributesInput{Bucket: aws.String("attrs"), Key: aws.String("one"),
		VersionId: put.VersionId, ObjectAttributes: all})
	require.NoError(t, err)
	require.Equal(t, strings.Trim(aws.ToString(put.ETag), `"`), aws.ToString(got.ETag), "unquoted, as AWS")
	require.Equal(t, int64(len(data)), aws.ToInt64(got.ObjectSize))
	require.Equal(t, types.StorageClassStandard, got.StorageClass)
	require.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), aws.ToString(got.Checksum.ChecksumSHA256))
	require.Equal(t, types.ChecksumTypeFullObject, got.Checksum.ChecksumType)
	require.Nil(t, got.ObjectParts, "a single-part object has no parts")
	require.Equal(t, aws.ToString(put.VersionId), aws.ToString(got.VersionId))
	require.NotNil(t, got.LastModified)

	// Only what is asked for.
	got, err = c.GetObjectAttributes(ctx(), &s3.GetObjectAttributesInput{Bucket: aws.String("attrs"), Key: aws.String("one"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize}})
	require.NoError(t, err)
	require.Equal(t, int64(len("a newer version")), aws.ToInt64(got.ObjectSize))
	require.Nil(t, got.ETag)
	require.Nil(t, got.Checksum)

	// A multipart object with COMPOSITE CRC32 parts.
	mp, err := c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String("attrs"), Key: aws.String("multi"),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	require.NoError(t, err)
	var parts []types.CompletedPart
	var partSums []string
	for i := 1; i <= 3; i++ {
		body := bytes.Repeat([]byte{byte('a' + i)}, testMinPart)
		up, err := c.UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String("attrs"), Key: aws.String("multi"), UploadId: mp.UploadId,
			PartNumber: aws.Int32(int32(i)), Body: bytes.NewReader(body), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		require.NoError(t, err)
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i)), ETag: up.ETag, ChecksumCRC32: up.ChecksumCRC32})
		partSums = append(partSums, aws.ToString(up.ChecksumCRC32))
	}
	done, err := c.CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: aws.String("attrs"), Key: aws.String("multi"),
		UploadId: mp.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	require.NoError(t, err)

	got, err = c.GetObjectAttributes(ctx(), &s3.GetObjectAttributesInput{Bucket: aws.String("attrs"), Key: aws.String("multi"),
		ObjectAttributes: all, MaxParts: aws.Int32(2)})
	require.NoError(t, err)
	require.Equal(t, strings.Trim(aws.ToString(done.ETag), `"`), aws.ToString(got.ETag))
	require.Equal(t, int64(3*testMinPart), aws.ToInt64(got.ObjectSize))
	require.Equal(t, aws.ToString(done.ChecksumCRC32), aws.ToString(got.Checksum.ChecksumCRC32))
	require.Equal(t, types.ChecksumTypeComposite, got.Checksum.ChecksumType)
	op := got.ObjectParts
	require.NotNil(t, op)
	require.Equal(t, int32(3), aws.ToInt32(op.TotalPartsCount))
	require.True(t, aws.ToBool(op.IsTruncated))
	require.Equal(t, int32(2), aws.ToInt32(op.MaxParts))
	require.Len(t, op.Parts, 2)
	require.Equal(t, int32(1), aws.ToInt32(op.Parts[0].PartNumber))
	require.Equal(t, int64(testMinPart), aws.ToInt64(op.Parts[0].Size))
	require.Equal(t, partSums[0], aws.ToString(op.Parts[0].ChecksumCRC32))
	require.Equal(t, "2", aws.ToString(op.NextPartNumberMarker))

	got, err = c.GetObjectAttributes(ctx(), &s3.GetObjectAttributesInput{Bucket: aws.String("attrs"), Key: aws.String("multi"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectParts}, MaxParts: aws.Int32(2), PartNumberMarker: op.NextPartNumberMarker})
	require.NoError(t, err)
	require.False(t, aws.ToBool(got.ObjectParts.IsTruncated))
	require.Len(t, got.ObjectParts.Parts, 1)
	require.Equal(t, int32(3), aws.ToInt32(got.ObjectParts.Parts[0].PartNumber))
	require.Equal(t, partSums[2], aws.ToString(got.ObjectParts.Parts[0].ChecksumCRC32))

	// Errors as AWS.
	_, err = c.GetObjectAttributes(ctx(), &s3.GetObjectAttributesInput{Bucket: aws.String("attrs"), Key: aws.String("none"), ObjectAttributes: all})
	requireCode(t, err, "NoSuchKey", http.StatusNotFound)
	_, err = c.GetObjectAttributes(ctx(), &s3.GetObjectAttributesInput{Bucket: aws.String("nobucket"), Key: aws.String("one"), ObjectAttributes: all})
	requireCode(t, err, "NoSuchBucket", http.StatusNotFound)
	r := e.do("GET", "/attrs/one?attributes", nil, nil)
	require.Equal(t, 400, r.status, "%s", r.body)
	require.Equal(t, "InvalidArgument", r.errorDoc(t).Code)
	r = e.do("GET", "/attrs/one?attributes", http.Header{"X-Amz-Object-Attributes": {"ETag,Colour"}}, nil)
	require.Equal(t, "InvalidArgument", r.errorDoc(t).Code)
	require.Contains(t, string(r.body), "<ArgumentValue>Colour</ArgumentValue>")
	r = e.do("GET", "/attrs/one?attributes", http.Header{"X-Amz-Object-Attributes": {"ETag"}, "X-Amz-Max-Parts": {"many"}}, nil)
	require.Equal(t, "InvalidArgument", r.errorDoc(t).Code)

	// The latest version a delete marker: 404 with x-amz-delete-marker.
	_, err = c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String("attrs"), Key: aws.String("one")})
	require.NoError(t, err)
	r = e.do("GET", "/attrs/one?attributes", http.Header{"X-Amz-Object-Attributes": {"ETag"}}, nil)
	require.Equal(t, 404, r.status)
	require.Equal(t, "true", r.header.Get("x-amz-delete-marker"))
	// Older versions stay readable by id.
	got, err = c.GetObjectAttributes(ctx(), &s3.GetObjectAttributesInput{Bucket: aws.String("attrs"), Key: aws.String("one"),
		VersionId: put.VersionId, ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize}})
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), aws.ToInt64(got.ObjectSize))
}

// TestGetObjectAttributesPermissions: as AWS, GetObjectAttributes needs
// s3:GetObject as well as s3:GetObjectAttributes (the Version twins with a
// versionId).
func TestGetObjectAttributesPermissions(t *testing.T) {
	e, ids := newIAMEnv(t)
	e.mustCreateBucket("perm", false)
	e.mustPut("perm", "k", "data")
	attrsOnly, _ := newUser(t, e, ids, "attrs-only", map[string]string{"p": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObjectAttributes","Resource":"arn:aws:s3:::perm/*"}]}`})
	both, _ := newUser(t, e, ids, "both", map[string]string{"p": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectAttributes"],"Resource":"arn:aws:s3:::perm/*"}]}`})
	in := &s3.GetObjectAttributesInput{Bucket: aws.String("perm"), Key: aws.String("k"), ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize}}
	_, err := attrsOnly.GetObjectAttributes(ctx(), in)
	requireCode(t, err, "AccessDenied", http.StatusForbidden)
	got, err := both.GetObjectAttributes(ctx(), in)
	require.NoError(t, err)
	require.Equal(t, int64(4), aws.ToInt64(got.ObjectSize))
}
