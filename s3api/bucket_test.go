package s3api_test

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"
)

// TestBuckets covers bucket naming, location constraints and bucket
// configuration calls.
func TestBuckets(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.s3
	for _, name := range []string{"ab", "Upper", "a..b", "-lead", "trail-", "192.168.1.1", "xn--abc", "a_b", "a.-b", "x--ol-s3"} {
		r := e.do("PUT", "/"+name, nil, nil)
		require.Equal(t, 400, r.status, name)
		require.Equal(t, "InvalidBucketName", r.errorDoc(t).Code, name)
	}
	for _, name := range []string{"abc", "my.bucket-1", "0-9"} {
		r := e.do("PUT", "/"+name, nil, nil)
		require.Equal(t, 200, r.status, "%s: %s", name, r.body)
	}
	// As AWS in us-east-1: creating a bucket you own again succeeds.
	_, err := c.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String("abc")})
	require.NoError(t, err)

	_, err = c.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String("eu-bucket"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}})
	requireCode(t, err, "IllegalLocationConstraintException", http.StatusBadRequest)
	r := e.do("PUT", "/bad-constraint", nil, []byte("<CreateBucketConfiguration><LocationConstraint>moon</LocationConstraint></CreateBucketConfiguration>"))
	require.Equal(t, "InvalidLocationConstraint", r.errorDoc(t).Code)
	r = e.do("PUT", "/bad-xml", nil, []byte("<CreateBucketConfiguration>"))
	require.Equal(t, "MalformedXML", r.errorDoc(t).Code)
	// us-east-1 is the empty constraint; AWS refuses it spelled out.
	_, err = c.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String("here"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(testRegion)}})
	requireCode(t, err, "InvalidLocationConstraint", http.StatusBadRequest)
	_, err = c.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String("here")})
	require.NoError(t, err)

	loc, err := c.GetBucketLocation(ctx(), &s3.GetBucketLocationInput{Bucket: aws.String("abc")})
	require.NoError(t, err)
	require.Equal(t, types.BucketLocationConstraint(""), loc.LocationConstraint, "us-east-1 is the empty constraint")

	ver, err := c.GetBucketVersioning(ctx(), &s3.GetBucketVersioningInput{Bucket: aws.String("abc")})
	require.NoError(t, err)
	require.Empty(t, ver.Status)
	_, err = c.PutBucketVersioning(ctx(), &s3.PutBucketVersioningInput{Bucket: aws.String("abc"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled, MFADelete: types.MFADeleteEnabled}})
	requireCode(t, err, "NotImplemented", http.StatusNotImplemented)
	_, err = c.PutBucketVersioning(ctx(), &s3.PutBucketVersioningInput{Bucket: aws.String("nobucket"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	requireCode(t, err, "NoSuchBucket", http.StatusNotFound)

	lb, err := c.ListBuckets(ctx(), &s3.ListBucketsInput{MaxBuckets: aws.Int32(2)})
	require.NoError(t, err)
	require.Len(t, lb.Buckets, 2)
	require.NotEmpty(t, aws.ToString(lb.ContinuationToken))
	lb, err = c.ListBuckets(ctx(), &s3.ListBucketsInput{ContinuationToken: lb.ContinuationToken})
	require.NoError(t, err)
	require.Len(t, lb.Buckets, 2)
	require.Empty(t, aws.ToString(lb.ContinuationToken))
	lb, err = c.ListBuckets(ctx(), &s3.ListBucketsInput{Prefix: aws.String("my")})
	require.NoError(t, err)
	require.Len(t, lb.Buckets, 1)

	_, err = c.HeadBucket(ctx(), &s3.HeadBucketInput{Bucket: aws.String("abc")})
	require.NoError(t, err)
	_, err = c.DeleteBucket(ctx(), &s3.DeleteBucketInput{Bucket: aws.String("nobucket")})
	requireCode(t, err, "NoSuchBucket", http.StatusNotFound)
	e.mustPut("abc", "k", "x")
	_, err = c.DeleteBucket(ctx(), &s3.DeleteBucketInput{Bucket: aws.String("abc")})
	requireCode(t, err, "BucketNotEmpty", http.StatusConflict)
}

// TestCreateOwnedBucketOtherRegion: outside us-east-1 creating a bucket you
// already own is 409 BucketAlreadyOwnedByYou, and the region's own
// constraint is accepted.
func TestCreateOwnedBucketOtherRegion(t *testing.T) {
	e := newEnv(t, envOptions{region: "eu-west-1"})
	in := &s3.CreateBucketInput{Bucket: aws.String("mine"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}}
	_, err := e.s3.CreateBucket(ctx(), in)
	require.NoError(t, err)
	_, err = e.s3.CreateBucket(ctx(), in)
	requireCode(t, err, "BucketAlreadyOwnedByYou", http.StatusConflict)
	_, err = e.s3.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String("east"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint("us-east-1")}})
	requireCode(t, err, "InvalidLocationConstraint", http.StatusBadRequest)
}
