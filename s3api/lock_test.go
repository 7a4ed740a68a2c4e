package s3api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"
)

// TestObjectLockWalkthrough is the walkthrough S3 providers publish for
// Object Lock, with aws-sdk-go-v2 over HTTP (header checksums) and HTTPS
// (unsigned aws-chunked with a trailing checksum).
func TestObjectLockWalkthrough(t *testing.T) {
	for _, tls := range []bool{false, true} {
		name := "http"
		if tls {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOptions{tls: tls})
			c := e.s3
			bucket, key := aws.String("vault"), aws.String("reports/2026.pdf")

			_, err := c.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: bucket, ObjectLockEnabledForBucket: aws.Bool(true)})
			require.NoError(t, err)
			ver, err := c.GetBucketVersioning(ctx(), &s3.GetBucketVersioningInput{Bucket: bucket})
			require.NoError(t, err)
			require.Equal(t, types.BucketVersioningStatusEnabled, ver.Status, "Object Lock enables versioning")

			_, err = c.PutObjectLockConfiguration(ctx(), &s3.PutObjectLockConfigurationInput{
				Bucket: bucket,
				ObjectLockConfiguration: &types.ObjectLockConfiguration{
					ObjectLockEnabled: types.ObjectLockEnabledEnabled,
					Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{
						Mode: types.ObjectLockRetentionModeCompliance, Days: aws.Int32(30),
					}},
				},
			})
			require.NoError(t, err)
			lc, err := c.GetObjectLockConfiguration(ctx(), &s3.GetObjectLockConfigurationInput{Bucket: bucket})
			require.NoError(t, err)
			require.Equal(t, types.ObjectLockRetentionModeCompliance, lc.ObjectLockConfiguration.Rule.DefaultRetention.Mode)
			require.Equal(t, int32(30), aws.ToInt32(lc.ObjectLockConfiguration.Rule.DefaultRetention.Days))

			put, err := c.PutObject(ctx(), &s3.PutObjectInput{Bucket: bucket, Key: key, Body: strings.NewReader("quarterly numbers")})
			require.NoError(t, err)
			vid := aws.ToString(put.VersionId)
			require.NotEmpty(t, vid)

			// Default retention applied at put time.
			ret, err := c.GetObjectRetention(ctx(), &s3.GetObjectRetentionInput{Bucket: bucket, Key: key, VersionId: &vid})
			require.NoError(t, err)
			require.Equal(t, types.ObjectLockRetentionModeCompliance, ret.Retention.Mode)
			until := aws.ToTime(ret.Retention.RetainUntilDate)
			require.WithinDuration(t, time.Now().AddDate(0, 0, 30), until, time.Hour)

			// Extend (Veeam-style), then try to shorten.
			longer := time.Now().Add(60 * 24 * time.Hour).UTC().Truncate(time.Second)
			_, err = c.PutObjectRetention(ctx(), &s3.PutObjectRetentionInput{Bucket: bucket, Key: key, VersionId: &vid,
				Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: &longer}})
			require.NoError(t, err)
			shorter := time.Now().Add(10 * 24 * time.Hour).UTC()
			_, err = c.PutObjectRetention(ctx(), &s3.PutObjectRetentionInput{Bucket: bucket, Key: key, VersionId: &vid,
				Retention:                 &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: &shorter},
				BypassGovernanceRetention: aws.Bool(true)})
			requireCode(t, err, "AccessDenied", http.StatusForbidden)

			_, err = c.PutObjectLegalHold(ctx(), &s3.PutObjectLegalHoldInput{Bucket: bucket, Key: key, VersionId: &vid,
				LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}})
			require.NoError(t, err)
			lh, err := c.GetObjectLegalHold(ctx(), &s3.GetObjectLegalHoldInput{Bucket: bucket, Key: key, VersionId: &vid})
			require.NoError(t, err)
			require.Equal(t, types.ObjectLockLegalHoldStatusOn, lh.LegalHold.Status)

			head, err := c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: bucket, Key: key})
			require.NoError(t, err)
			require.Equal(t, types.ObjectLockModeCompliance, head.ObjectLockMode)
			require.Equal(t, longer, aws.ToTime(head.ObjectLockRetainUntilDate))
			require.Equal(t, types.ObjectLockLegalHoldStatusOn, head.ObjectLockLegalHoldStatus)

			lv, err := c.ListObjectVersions(ctx(), &s3.ListObjectVersionsInput{Bucket: bucket})
			require.NoError(t, err)
			require.Len(t, lv.Versions, 1)
			require.Equal(t, vid, aws.ToString(lv.Versions[0].VersionId))
			require.True(t, aws.ToBool(lv.Versions[0].IsLatest))

			// Deleting the version is refused, with and without bypass.
			_, err = c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: bucket, Key: key, VersionId: &vid})
			requireCode(t, err, "AccessDenied", http.StatusForbidden)
			_, err = c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: bucket, Key: key, VersionId: &vid, BypassGovernanceRetention: aws.Bool(true)})
			requireCode(t, err, "AccessDenied", http.StatusForbidden)

			// A plain delete adds a delete marker; the version stays.
			del, err := c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: bucket, Key: key})
			require.NoError(t, err)
			require.True(t, aws.ToBool(del.DeleteMarker))
			dmID := aws.ToString(del.VersionId)
			require.NotEmpty(t, dmID)

			_, err = c.GetObject(ctx(), &s3.GetObjectInput{Bucket: bucket, Key: key})
			requireCode(t, err, "NoSuchKey", http.StatusNotFound)
			r := e.do("GET", "/vault/reports/2026.pdf", nil, nil)
			require.Equal(t, http.StatusNotFound, r.status)
			require.Equal(t, "true", r.header.Get("x-amz-delete-marker"))
			require.Equal(t, dmID, r.header.Get("x-amz-version-id"))
			r = e.do("GET", "/vault/reports/2026.pdf?versionId="+dmID, nil, nil)
			require.Equal(t, http.StatusMethodNotAllowed, r.status)
			require.Equal(t, "MethodNotAllowed", r.errorDoc(t).Code)
			require.Equal(t, "true", r.header.Get("x-amz-delete-marker"))

			got, err := c.GetObject(ctx(), &s3.GetObjectInput{Bucket: bucket, Key: key, VersionId: &vid})
			require.NoError(t, err)
			got.Body.Close()

			lv, err = c.ListObjectVersions(ctx(), &s3.ListObjectVersionsInput{Bucket: bucket})
			require.NoError(t, err)
			require.Len(t, lv.Versions, 1)
			require.Len(t, lv.DeleteMarkers, 1)
			require.True(t, aws.ToBool(lv.DeleteMarkers[0].IsLatest))
			require.False(t, aws.ToBool(lv.Versions[0].IsLatest))

			// The delete marker itself is not protected.
			_, err = c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: bucket, Key: key, VersionId: &dmID})
			require.NoError(t, err)
			require.Equal(t, "quarterly numbers", e.mustGet("vault", "reports/2026.pdf"))

			// Versioning cannot be suspended; the bucket cannot be deleted.
			_, err = c.PutBucketVersioning(ctx(), &s3.PutBucketVersioningInput{Bucket: bucket,
				VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
			requireCode(t, err, "InvalidBucketState", http.StatusConflict)
			_, err = c.DeleteBucket(ctx(), &s3.DeleteBucketInput{Bucket: bucket})
			requireCode(t, err, "BucketNotEmpty", http.StatusConflict)

			// DeleteObjects: per-key error, HTTP 200.
			other := e.mustPut("vault", "other", "x")
			dout, err := c.DeleteObjects(ctx(), &s3.DeleteObjectsInput{Bucket: bucket, Delete: &types.Delete{Objects: []types.ObjectIdentifier{
				{Key: key, VersionId: &vid},
				{Key: aws.String("other"), VersionId: &other},
				{Key: aws.String("missing")},
			}}})
			require.NoError(t, err)
			require.Len(t, dout.Errors, 2)
			for _, de := range dout.Errors {
				require.Equal(t, "AccessDenied", aws.ToString(de.Code))
			}
			require.Len(t, dout.Deleted, 1)
			require.Equal(t, "missing", aws.ToString(dout.Deleted[0].Key))

			if tls {
				require.Positive(t, e.sawPayload("STREAMING-UNSIGNED-PAYLOAD-TRAILER"), "the SDK streams with trailers over HTTPS")
			} else {
				require.Zero(t, e.sawPayload("STREAMING-UNSIGNED-PAYLOAD-TRAILER"))
				require.Positive(t, e.sawPayload("SHA256"))
			}
		})
	}
}

// TestGovernanceBypass checks GOVERNANCE retention: deletes and shortening
// need x-amz-bypass-governance-retention; legal hold blocks even that.
func TestGovernanceBypass(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.s3
	e.mustCreateBucket("gov", true)
	until := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	put, err := c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("gov"), Key: aws.String("k"), Body: strings.NewReader("v1"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: &until})
	require.NoError(t, err)
	vid := put.VersionId

	_, err = c.PutObjectRetention(ctx(), &s3.PutObjectRetentionInput{Bucket: aws.String("gov"), Key: aws.String("k"), VersionId: vid,
		Retention: &types.ObjectLockRetention{}})
	requireCode(t, err, "AccessDenied", http.StatusForbidden)
	_, err = c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String("gov"), Key: aws.String("k"), VersionId: vid})
	requireCode(t, err, "AccessDenied", http.StatusForbidden)

	_, err = c.PutObjectLegalHold(ctx(), &s3.PutObjectLegalHoldInput{Bucket: aws.String("gov"), Key: aws.String("k"), VersionId: vid,
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}})
	require.NoError(t, err)
	_, err = c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String("gov"), Key: aws.String("k"), VersionId: vid, BypassGovernanceRetention: aws.Bool(true)})
	requireCode(t, err, "AccessDenied", http.StatusForbidden)
	_, err = c.PutObjectLegalHold(ctx(), &s3.PutObjectLegalHoldInput{Bucket: aws.String("gov"), Key: aws.String("k"), VersionId: vid,
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOff}})
	require.NoError(t, err)

	// Remove retention with bypass, then delete without.
	_, err = c.PutObjectRetention(ctx(), &s3.PutObjectRetentionInput{Bucket: aws.String("gov"), Key: aws.String("k"), VersionId: vid,
		Retention: &types.ObjectLockRetention{}, BypassGovernanceRetention: aws.Bool(true)})
	require.NoError(t, err)
	_, err = c.GetObjectRetention(ctx(), &s3.GetObjectRetentionInput{Bucket: aws.String("gov"), Key: aws.String("k"), VersionId: vid})
	requireCode(t, err, "NoSuchObjectLockConfiguration", http.StatusNotFound)
	_, err = c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String("gov"), Key: aws.String("k"), VersionId: vid})
	require.NoError(t, err)
}
