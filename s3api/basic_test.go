package s3api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"
)

// TestBasicObjectLifecycle runs bucket and object basics with the SDK over
// plain HTTP (header checksums) and HTTPS (unsigned trailers).
func TestBasicObjectLifecycle(t *testing.T) {
	for _, tls := range []bool{false, true} {
		name := "http"
		if tls {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOptions{tls: tls})
			e.mustCreateBucket("photos", false)

			lb, err := e.s3.ListBuckets(ctx(), &s3.ListBucketsInput{})
			require.NoError(t, err)
			require.Len(t, lb.Buckets, 1)
			require.Equal(t, "photos", aws.ToString(lb.Buckets[0].Name))

			key := "dir//a/../b c+d%e.txt"
			put, err := e.s3.PutObject(ctx(), &s3.PutObjectInput{
				Bucket: aws.String("photos"), Key: aws.String(key), Body: strings.NewReader("hello world"),
				ContentType: aws.String("text/plain"), Metadata: map[string]string{"color": "blue"},
				CacheControl: aws.String("max-age=60"),
			})
			require.NoError(t, err)
			require.Equal(t, `"5eb63bbbe01eeed093cb22bb8f5acdc3"`, aws.ToString(put.ETag))
			require.NotEmpty(t, aws.ToString(put.ChecksumCRC32), "the SDK sends CRC32 by default")

			get, err := e.s3.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			require.NoError(t, err)
			b, err := io.ReadAll(get.Body)
			require.NoError(t, err)
			get.Body.Close()
			require.Equal(t, "hello world", string(b))
			require.Equal(t, "text/plain", aws.ToString(get.ContentType))
			require.Equal(t, "blue", get.Metadata["color"])
			require.Equal(t, "max-age=60", aws.ToString(get.CacheControl))
			require.Equal(t, aws.ToString(put.ChecksumCRC32), aws.ToString(get.ChecksumCRC32))
			require.Nil(t, get.VersionId, "no version id on a never-versioned bucket")

			rng, err := e.s3.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String(key), Range: aws.String("bytes=6-"), ChecksumMode: types.ChecksumModeEnabled})
			require.NoError(t, err)
			b, _ = io.ReadAll(rng.Body)
			rng.Body.Close()
			require.Equal(t, "world", string(b))
			require.Equal(t, "bytes 6-10/11", aws.ToString(rng.ContentRange))
			require.Nil(t, rng.ChecksumCRC32, "no checksum on a ranged GET")

			lo, err := e.s3.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String("photos")})
			require.NoError(t, err)
			require.Len(t, lo.Contents, 1)
			require.Equal(t, key, aws.ToString(lo.Contents[0].Key))

			_, err = e.s3.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String("photos"), Key: aws.String(key)})
			require.NoError(t, err)
			_, err = e.s3.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String(key)})
			requireCode(t, err, "NotFound", http.StatusNotFound)
			_, err = e.s3.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String(key)})
			requireCode(t, err, "NoSuchKey", http.StatusNotFound)

			_, err = e.s3.DeleteBucket(ctx(), &s3.DeleteBucketInput{Bucket: aws.String("photos")})
			require.NoError(t, err)
			_, err = e.s3.HeadBucket(ctx(), &s3.HeadBucketInput{Bucket: aws.String("photos")})
			requireCode(t, err, "NotFound", http.StatusNotFound)
		})
	}
}
