package s3api_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"
)

// TestPresigned uses presigned GET and PUT URLs with plain net/http, and
// checks that an expired URL is refused.
func TestPresigned(t *testing.T) {
	now := time.Now()
	var offset atomic.Int64
	e := newEnv(t, envOptions{clock: func() time.Time { return now.Add(time.Duration(offset.Load())) }})
	e.mustCreateBucket("pre", false)
	ps := s3.NewPresignClient(e.s3, func(o *s3.PresignOptions) { o.Expires = 10 * time.Minute })

	put, err := ps.PresignPutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("pre"), Key: aws.String("up load.txt")})
	require.NoError(t, err)
	req, err := http.NewRequest(put.Method, put.URL, strings.NewReader("presigned body"))
	require.NoError(t, err)
	for k, vs := range put.SignedHeader {
		if k != "Host" {
			req.Header[k] = vs
		}
	}
	r := e.send(req)
	require.Equal(t, 200, r.status, "%s", r.body)

	get, err := ps.PresignGetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String("pre"), Key: aws.String("up load.txt")})
	require.NoError(t, err)
	req, err = http.NewRequest(get.Method, get.URL, nil)
	require.NoError(t, err)
	r = e.send(req)
	require.Equal(t, 200, r.status, "%s", r.body)
	require.Equal(t, "presigned body", string(r.body))

	// Tampering with the query breaks the signature.
	req, err = http.NewRequest(get.Method, strings.Replace(get.URL, "up%20load", "other", 1), nil)
	require.NoError(t, err)
	r = e.send(req)
	require.Equal(t, 403, r.status)
	require.Equal(t, "SignatureDoesNotMatch", r.errorDoc(t).Code)

	offset.Store(int64(11 * time.Minute))
	req, err = http.NewRequest(get.Method, get.URL, nil)
	require.NoError(t, err)
	r = e.send(req)
	require.Equal(t, 403, r.status)
	require.Equal(t, "AccessDenied", r.errorDoc(t).Code)
}

// TestMinioClient drives the server with minio-go: over plain HTTP it
// signs every chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), over TLS it sends
// UNSIGNED-PAYLOAD; PutObjectRetention and PutObjectLegalHold send
// Content-MD5.
func TestMinioClient(t *testing.T) {
	for _, tls := range []bool{false, true} {
		name := "http"
		if tls {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOptions{tls: tls})
			host := strings.TrimPrefix(strings.TrimPrefix(e.srv.URL, "http://"), "https://")
			mc, err := minio.New(host, &minio.Options{
				Creds: miniocreds.NewStaticV4(testAccessKey, testSecret, ""), Secure: tls, Region: testRegion,
				Transport: e.srv.Client().Transport, MaxRetries: 1,
			})
			require.NoError(t, err)
			require.NoError(t, mc.MakeBucket(ctx(), "restic", minio.MakeBucketOptions{ObjectLocking: true}))
			ok, err := mc.BucketExists(ctx(), "restic")
			require.NoError(t, err)
			require.True(t, ok)

			data := testData(11, 300<<10)
			info, err := mc.PutObject(ctx(), "restic", "data/ab/pack", bytes.NewReader(data), int64(len(data)),
				minio.PutObjectOptions{ContentType: "application/octet-stream", SendContentMd5: true})
			require.NoError(t, err)
			require.NotEmpty(t, info.VersionID)
			if !tls {
				require.Positive(t, e.sawPayload("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), "minio-go signs chunks over HTTP")
			}
			r := e.do("HEAD", "/restic/data/ab/pack", nil, nil)
			require.Equal(t, 200, r.status)
			require.Empty(t, r.header.Get("Content-Encoding"), "aws-chunked is not stored")

			obj, err := mc.GetObject(ctx(), "restic", "data/ab/pack", minio.GetObjectOptions{})
			require.NoError(t, err)
			got, err := io.ReadAll(obj)
			require.NoError(t, err)
			obj.Close()
			require.True(t, bytes.Equal(data, got))

			ranged := minio.GetObjectOptions{}
			require.NoError(t, ranged.SetRange(100, 199))
			obj, err = mc.GetObject(ctx(), "restic", "data/ab/pack", ranged)
			require.NoError(t, err)
			got, err = io.ReadAll(obj)
			require.NoError(t, err)
			obj.Close()
			require.True(t, bytes.Equal(data[100:200], got))

			until := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
			mode := minio.Compliance
			require.NoError(t, mc.PutObjectRetention(ctx(), "restic", "data/ab/pack", minio.PutObjectRetentionOptions{
				Mode: &mode, RetainUntilDate: &until, VersionID: info.VersionID,
			}))
			gotMode, gotUntil, err := mc.GetObjectRetention(ctx(), "restic", "data/ab/pack", info.VersionID)
			require.NoError(t, err)
			require.Equal(t, minio.Compliance, *gotMode)
			require.True(t, until.Equal(*gotUntil))

			on := minio.LegalHoldEnabled
			require.NoError(t, mc.PutObjectLegalHold(ctx(), "restic", "data/ab/pack", minio.PutObjectLegalHoldOptions{Status: &on, VersionID: info.VersionID}))
			st, err := mc.GetObjectLegalHold(ctx(), "restic", "data/ab/pack", minio.GetObjectLegalHoldOptions{VersionID: info.VersionID})
			require.NoError(t, err)
			require.Equal(t, minio.LegalHoldEnabled, *st)

			err = mc.RemoveObject(ctx(), "restic", "data/ab/pack", minio.RemoveObjectOptions{VersionID: info.VersionID})
			require.Error(t, err)
			require.Equal(t, "AccessDenied", minio.ToErrorResponse(err).Code)

			// Lock headers on the upload itself (minio-go adds no
			// Content-MD5 unless asked: over HTTP the signed chunks count as
			// integrity).
			if !tls {
				_, err = mc.PutObject(ctx(), "restic", "locked", bytes.NewReader([]byte("x")), 1,
					minio.PutObjectOptions{Mode: minio.Governance, RetainUntilDate: until})
				require.NoError(t, err)
			}

			var keys []string
			for o := range mc.ListObjects(ctx(), "restic", minio.ListObjectsOptions{Recursive: true}) {
				require.NoError(t, o.Err)
				keys = append(keys, o.Key)
			}
			require.Contains(t, keys, "data/ab/pack")

			st2, err := mc.StatObject(ctx(), "restic", "data/ab/pack", minio.StatObjectOptions{})
			require.NoError(t, err)
			require.Equal(t, int64(len(data)), st2.Size)
		})
	}
}
