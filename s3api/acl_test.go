package s3api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"
)

// TestACLsBucketOwnerEnforced checks that ACLs behave as on an AWS bucket
// with BucketOwnerEnforced: reads answer the owner (as ListBuckets reports
// it) with FULL_CONTROL, writes accept only the owner's full control.
func TestACLsBucketOwnerEnforced(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("acls", false)
	e.mustPut("acls", "obj", "x")
	b, k := aws.String("acls"), aws.String("obj")

	lb, err := e.s3.ListBuckets(ctx(), &s3.ListBucketsInput{})
	require.NoError(t, err)
	owner := lb.Owner
	require.NotEmpty(t, aws.ToString(owner.ID))

	check := func(o *types.Owner, grants []types.Grant) {
		t.Helper()
		require.Equal(t, aws.ToString(owner.ID), aws.ToString(o.ID))
		require.Equal(t, aws.ToString(owner.DisplayName), aws.ToString(o.DisplayName))
		require.Len(t, grants, 1)
		require.Equal(t, types.PermissionFullControl, grants[0].Permission)
		require.Equal(t, types.TypeCanonicalUser, grants[0].Grantee.Type)
		require.Equal(t, aws.ToString(owner.ID), aws.ToString(grants[0].Grantee.ID))
	}
	ba, err := e.s3.GetBucketAcl(ctx(), &s3.GetBucketAclInput{Bucket: b})
	require.NoError(t, err)
	check(ba.Owner, ba.Grants)
	oa, err := e.s3.GetObjectAcl(ctx(), &s3.GetObjectAclInput{Bucket: b, Key: k})
	require.NoError(t, err)
	check(oa.Owner, oa.Grants)

	// Accepted: the private and bucket-owner-full-control canned ACLs, a
	// full-control grant to the owner, the owner-only document.
	_, err = e.s3.PutBucketAcl(ctx(), &s3.PutBucketAclInput{Bucket: b, ACL: types.BucketCannedACLPrivate})
	require.NoError(t, err)
	_, err = e.s3.PutObjectAcl(ctx(), &s3.PutObjectAclInput{Bucket: b, Key: k, ACL: types.ObjectCannedACLBucketOwnerFullControl})
	require.NoError(t, err)
	_, err = e.s3.PutObjectAcl(ctx(), &s3.PutObjectAclInput{Bucket: b, Key: k, GrantFullControl: aws.String(`id="` + aws.ToString(owner.ID) + `"`)})
	require.NoError(t, err)
	_, err = e.s3.PutBucketAcl(ctx(), &s3.PutBucketAclInput{Bucket: b, AccessControlPolicy: &types.AccessControlPolicy{
		Owner: owner, Grants: ba.Grants,
	}})
	require.NoError(t, err)
	_, err = e.s3.PutObject(ctx(), &s3.PutObjectInput{Bucket: b, Key: aws.String("p"), Body: strings.NewReader("x"), ACL: types.ObjectCannedACLPrivate})
	require.NoError(t, err)

	// Refused: anything granting more.
	_, err = e.s3.PutBucketAcl(ctx(), &s3.PutBucketAclInput{Bucket: b, ACL: types.BucketCannedACLPublicRead})
	requireCode(t, err, "AccessControlListNotSupported", 400)
	_, err = e.s3.PutObjectAcl(ctx(), &s3.PutObjectAclInput{Bucket: b, Key: k, GrantRead: aws.String(`uri="http://acs.amazonaws.com/groups/global/AllUsers"`)})
	requireCode(t, err, "AccessControlListNotSupported", 400)
	_, err = e.s3.PutObjectAcl(ctx(), &s3.PutObjectAclInput{Bucket: b, Key: k, AccessControlPolicy: &types.AccessControlPolicy{
		Owner: owner, Grants: append(ba.Grants, types.Grant{Permission: types.PermissionRead,
			Grantee: &types.Grantee{Type: types.TypeGroup, URI: aws.String("http://acs.amazonaws.com/groups/global/AllUsers")}}),
	}})
	requireCode(t, err, "AccessControlListNotSupported", 400)
	_, err = e.s3.PutObject(ctx(), &s3.PutObjectInput{Bucket: b, Key: aws.String("p2"), Body: strings.NewReader("x"), ACL: types.ObjectCannedACLPublicRead})
	requireCode(t, err, "AccessControlListNotSupported", 400)
	_, err = e.s3.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: b, Key: aws.String("p3"), CopySource: aws.String("acls/obj"), ACL: types.ObjectCannedACLAuthenticatedRead})
	requireCode(t, err, "AccessControlListNotSupported", 400)
	_, err = e.s3.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("p4"), GrantRead: aws.String(`id="someone"`)})
	requireCode(t, err, "AccessControlListNotSupported", 400)
	_, err = e.s3.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String("public"), ACL: types.BucketCannedACLPublicRead})
	requireCode(t, err, "InvalidBucketAclWithObjectOwnership", 400)
	_, err = e.s3.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String("writer"), ObjectOwnership: types.ObjectOwnershipObjectWriter})
	requireCode(t, err, "InvalidArgument", 400)
	_, err = e.s3.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String("private"), ACL: types.BucketCannedACLPrivate, ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced})
	require.NoError(t, err)

	// A PutBucketAcl with nothing to set.
	r := e.do("PUT", "/acls?acl", nil, nil)
	require.Equal(t, 400, r.status, "%s", r.body)
	require.Equal(t, "MissingSecurityHeader", r.errorDoc(t).Code)
	_, err = e.s3.GetObjectAcl(ctx(), &s3.GetObjectAclInput{Bucket: b, Key: aws.String("none")})
	requireCode(t, err, "NoSuchKey", 404)
}

// TestOwnershipControls checks Get/Put/DeleteBucketOwnershipControls.
func TestOwnershipControls(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("own", false)
	b := aws.String("own")
	get := func() (string, error) {
		out, err := e.s3.GetBucketOwnershipControls(ctx(), &s3.GetBucketOwnershipControlsInput{Bucket: b})
		if err != nil {
			return "", err
		}
		require.Len(t, out.OwnershipControls.Rules, 1)
		return string(out.OwnershipControls.Rules[0].ObjectOwnership), nil
	}
	got, err := get()
	require.NoError(t, err)
	require.Equal(t, "BucketOwnerEnforced", got, "new buckets default to BucketOwnerEnforced")

	_, err = e.s3.DeleteBucketOwnershipControls(ctx(), &s3.DeleteBucketOwnershipControlsInput{Bucket: b})
	require.NoError(t, err)
	_, err = get()
	requireCode(t, err, "OwnershipControlsNotFoundError", 404)
	// ACLs stay disabled.
	_, err = e.s3.PutBucketAcl(ctx(), &s3.PutBucketAclInput{Bucket: b, ACL: types.BucketCannedACLPublicRead})
	requireCode(t, err, "AccessControlListNotSupported", 400)

	put := func(v types.ObjectOwnership) error {
		_, err := e.s3.PutBucketOwnershipControls(ctx(), &s3.PutBucketOwnershipControlsInput{Bucket: b,
			OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: v}}}})
		return err
	}
	requireCode(t, put(types.ObjectOwnershipObjectWriter), "InvalidArgument", 400)
	requireCode(t, put(types.ObjectOwnershipBucketOwnerPreferred), "InvalidArgument", 400)
	requireCode(t, put("Nonsense"), "MalformedXML", 400)
	require.NoError(t, put(types.ObjectOwnershipBucketOwnerEnforced))
	got, err = get()
	require.NoError(t, err)
	require.Equal(t, "BucketOwnerEnforced", got)

	body := "<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>"
	r := e.do("PUT", "/own?ownershipControls", md5Header(body), []byte(body))
	require.Equal(t, 400, r.status)
	require.Equal(t, "MalformedXML", r.errorDoc(t).Code)
	r = e.do("PUT", "/own?ownershipControls", nil, []byte(body))
	require.Equal(t, 400, r.status, "Content-MD5 is required")
	_, err = e.s3.GetBucketOwnershipControls(ctx(), &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("nobucket")})
	requireCode(t, err, "NoSuchBucket", 404)
	_ = http.StatusOK
}
