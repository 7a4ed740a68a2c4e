package s3api_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/identity"
)

// newIAMEnv is a test server enforcing the users and policies of a fresh
// identity store whose root is the usual test key.
func newIAMEnv(t *testing.T) (*testEnv, *identity.Store) {
	t.Helper()
	ids, err := identity.Open(vfs.NewMem(), "identities.json", identity.Credentials{AccessKey: testAccessKey, SecretKey: testSecret})
	require.NoError(t, err)
	return newEnv(t, envOptions{ids: ids}), ids
}

// newUser creates a user with the policies given (name → document) and
// returns an S3 client signed with its new access key.
func newUser(t *testing.T, e *testEnv, ids *identity.Store, name string, policies map[string]string) (*s3.Client, identity.Credentials) {
	t.Helper()
	require.NoError(t, ids.CreateUser(name))
	for pn, doc := range policies {
		require.NoError(t, ids.PutUserPolicy(name, pn, []byte(doc)))
	}
	c, err := ids.CreateAccessKey(name)
	require.NoError(t, err)
	return e.sdkClient(func(o *s3.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(c.AccessKey, c.SecretKey, "")
	}), c
}

const uploaderPolicy = `{"Version": "2012-10-17", "Statement": [
  {"Sid": "Archive", "Effect": "Allow", "Action": "s3:*",
   "Resource": ["arn:aws:s3:::archive", "arn:aws:s3:::archive/*"]},
  {"Sid": "ListBuckets", "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
  {"Sid": "HoldOnlyOn", "Effect": "Deny", "Action": "s3:PutObjectLegalHold", "Resource": "*",
   "Condition": {"StringNotEquals": {"s3:object-lock-legal-hold": "ON"}}}]}`

// TestUploaderScenario is the four-step scenario of issue 5: a backup
// writer that can write and lock but not unlock or destroy.
func TestUploaderScenario(t *testing.T) {
	e, ids := newIAMEnv(t)
	root := e.s3
	bucket, key := aws.String("archive"), aws.String("db/backup.tar")

	// 1. Root creates a bucket with Object Lock and the user uploader.
	_, err := root.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: bucket, ObjectLockEnabledForBucket: aws.Bool(true)})
	require.NoError(t, err)
	// 2. The policies.
	up, _ := newUser(t, e, ids, "uploader", map[string]string{"uploader": uploaderPolicy})

	// 3. uploader uploads and puts legal hold ON.
	put, err := up.PutObject(ctx(), &s3.PutObjectInput{Bucket: bucket, Key: key, Body: strings.NewReader("precious backup")})
	require.NoError(t, err)
	vid := put.VersionId
	_, err = up.PutObjectLegalHold(ctx(), &s3.PutObjectLegalHoldInput{Bucket: bucket, Key: key, VersionId: vid,
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}})
	require.NoError(t, err)
	lb, err := up.ListBuckets(ctx(), &s3.ListBucketsInput{})
	require.NoError(t, err)
	require.Len(t, lb.Buckets, 1)

	// Legal hold OFF: 403.
	_, err = up.PutObjectLegalHold(ctx(), &s3.PutObjectLegalHoldInput{Bucket: bucket, Key: key, VersionId: vid,
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOff}})
	requireCode(t, err, "AccessDenied", 403)
	// Deleting the version: 403.
	_, err = up.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: bucket, Key: key, VersionId: vid})
	requireCode(t, err, "AccessDenied", 403)
	// Overwrite with a zero-byte object: allowed, held version intact.
	_, err = up.PutObject(ctx(), &s3.PutObjectInput{Bucket: bucket, Key: key, Body: bytes.NewReader(nil)})
	require.NoError(t, err)
	got, err := root.GetObject(ctx(), &s3.GetObjectInput{Bucket: bucket, Key: key, VersionId: vid})
	require.NoError(t, err)
	var buf bytes.Buffer
	buf.ReadFrom(got.Body)
	got.Body.Close()
	require.Equal(t, "precious backup", buf.String())
	// aws s3 rm: a delete marker; the history remains.
	del, err := up.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: bucket, Key: key})
	require.NoError(t, err)
	require.True(t, aws.ToBool(del.DeleteMarker))
	vers, err := up.ListObjectVersions(ctx(), &s3.ListObjectVersionsInput{Bucket: bucket})
	require.NoError(t, err)
	require.Len(t, vers.Versions, 2)
	require.Len(t, vers.DeleteMarkers, 1)

	// The denials are audited as denied, with the user named.
	denied := 0
	require.NoError(t, e.eng.AuditEntries(ctx(), 0, func(a engine.AuditEntry) error {
		if a.Outcome == "denied" && strings.Contains(a.Principal, "uploader") {
			denied++
		}
		return nil
	}))
	require.GreaterOrEqual(t, denied, 2)

	// 4. Root turns the hold OFF and deletes the version.
	_, err = root.PutObjectLegalHold(ctx(), &s3.PutObjectLegalHoldInput{Bucket: bucket, Key: key, VersionId: vid,
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOff}})
	require.NoError(t, err)
	_, err = root.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: bucket, Key: key, VersionId: vid})
	require.NoError(t, err)
	_, err = root.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: bucket, Key: key, VersionId: vid})
	require.Error(t, err)

	// Outside its bucket the uploader can do nothing.
	_, err = root.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String("other")})
	require.NoError(t, err)
	_, err = up.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("other"), Key: key, Body: strings.NewReader("x")})
	requireCode(t, err, "AccessDenied", 403)
}

// TestGovernanceBypassNeedsPermission: the bypass header is honoured only
// with s3:BypassGovernanceRetention.
func TestGovernanceBypassNeedsPermission(t *testing.T) {
	e, ids := newIAMEnv(t)
	bucket := aws.String("gov")
	_, err := e.s3.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: bucket, ObjectLockEnabledForBucket: aws.Bool(true)})
	require.NoError(t, err)
	all := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::gov","arn:aws:s3:::gov/*"]}]}`
	noBypass := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::gov","arn:aws:s3:::gov/*"]},
	  {"Effect":"Deny","Action":"s3:BypassGovernanceRetention","Resource":"*"}]}`
	withBypass, _ := newUser(t, e, ids, "admin", map[string]string{"all": all})
	without, _ := newUser(t, e, ids, "writer", map[string]string{"nobypass": noBypass})

	until := time.Now().Add(48 * time.Hour)
	for _, tc := range []struct {
		name    string
		c       *s3.Client
		wantErr bool
	}{
		{"without permission", without, true},
		{"with permission", withBypass, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := aws.String("k-" + strings.ReplaceAll(tc.name, " ", "-"))
			put, err := tc.c.PutObject(ctx(), &s3.PutObjectInput{Bucket: bucket, Key: key, Body: strings.NewReader("x"),
				ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: &until})
			require.NoError(t, err)
			_, err = tc.c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: bucket, Key: key, VersionId: put.VersionId})
			requireCode(t, err, "AccessDenied", 403)
			_, err = tc.c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: bucket, Key: key, VersionId: put.VersionId,
				BypassGovernanceRetention: aws.Bool(true)})
			if tc.wantErr {
				requireCode(t, err, "AccessDenied", 403)
				// Root may bypass.
				_, err = e.s3.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: bucket, Key: key, VersionId: put.VersionId,
					BypassGovernanceRetention: aws.Bool(true)})
			}
			require.NoError(t, err)
		})
	}
}

// TestBucketPolicyGrantsReadOnly: a bucket policy with Principal lets a
// user without identity policies read, not write.
func TestBucketPolicyGrantsReadOnly(t *testing.T) {
	e, ids := newIAMEnv(t)
	bucket := aws.String("shared")
	_, err := e.s3.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: bucket})
	require.NoError(t, err)
	e.mustPut("shared", "doc.txt", "hello")
	reader, _ := newUser(t, e, ids, "reader", nil)

	_, err = reader.GetObject(ctx(), &s3.GetObjectInput{Bucket: bucket, Key: aws.String("doc.txt")})
	requireCode(t, err, "AccessDenied", 403)
	_, err = e.s3.GetBucketPolicy(ctx(), &s3.GetBucketPolicyInput{Bucket: bucket})
	requireCode(t, err, "NoSuchBucketPolicy", 404)

	pol := `{"Version":"2012-10-17","Statement":[{"Sid":"ReadOnly","Effect":"Allow",
	  "Principal":{"AWS":"arn:aws:iam::000000000000:user/reader"},
	  "Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::shared","arn:aws:s3:::shared/*"]}]}`
	_, err = e.s3.PutBucketPolicy(ctx(), &s3.PutBucketPolicyInput{Bucket: bucket, Policy: aws.String(pol)})
	require.NoError(t, err)
	gp, err := e.s3.GetBucketPolicy(ctx(), &s3.GetBucketPolicyInput{Bucket: bucket})
	require.NoError(t, err)
	require.Equal(t, pol, aws.ToString(gp.Policy))

	out, err := reader.GetObject(ctx(), &s3.GetObjectInput{Bucket: bucket, Key: aws.String("doc.txt")})
	require.NoError(t, err)
	out.Body.Close()
	lst, err := reader.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: bucket})
	require.NoError(t, err)
	require.Len(t, lst.Contents, 1)
	_, err = reader.PutObject(ctx(), &s3.PutObjectInput{Bucket: bucket, Key: aws.String("new"), Body: strings.NewReader("x")})
	requireCode(t, err, "AccessDenied", 403)
	_, err = reader.DeleteBucketPolicy(ctx(), &s3.DeleteBucketPolicyInput{Bucket: bucket})
	requireCode(t, err, "AccessDenied", 403)

	_, err = e.s3.DeleteBucketPolicy(ctx(), &s3.DeleteBucketPolicyInput{Bucket: bucket})
	require.NoError(t, err)
	_, err = reader.GetObject(ctx(), &s3.GetObjectInput{Bucket: bucket, Key: aws.String("doc.txt")})
	requireCode(t, err, "AccessDenied", 403)
}

// TestMalformedBucketPolicy: the parser's message reaches the client.
func TestMalformedBucketPolicy(t *testing.T) {
	e, _ := newIAMEnv(t)
	bucket := aws.String("mpol")
	_, err := e.s3.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: bucket})
	require.NoError(t, err)
	for _, tc := range []struct{ name, doc, want string }{
		{"bad effect", `{"Statement":[{"Effect":"allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::mpol/*"}]}`, "Statement[0].Effect"},
		{"outside bucket", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`, "invalid resource"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.s3.PutBucketPolicy(ctx(), &s3.PutBucketPolicyInput{Bucket: bucket, Policy: aws.String(tc.doc)})
			requireCode(t, err, "MalformedPolicy", 400)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestDisabledKeyStopsAtOnce: a disabled or deleted key is
// InvalidAccessKeyId on the next request.
func TestDisabledKeyStopsAtOnce(t *testing.T) {
	e, ids := newIAMEnv(t)
	c, creds := newUser(t, e, ids, "temp", map[string]string{"list": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`})
	_, err := c.ListBuckets(ctx(), &s3.ListBucketsInput{})
	require.NoError(t, err)
	require.NoError(t, ids.SetAccessKeyStatus("temp", creds.AccessKey, false))
	_, err = c.ListBuckets(ctx(), &s3.ListBucketsInput{})
	requireCode(t, err, "InvalidAccessKeyId", 403)
	require.NoError(t, ids.SetAccessKeyStatus("temp", creds.AccessKey, true))
	_, err = c.ListBuckets(ctx(), &s3.ListBucketsInput{})
	require.NoError(t, err)
	require.NoError(t, ids.DeleteUser("temp"))
	_, err = c.ListBuckets(ctx(), &s3.ListBucketsInput{})
	requireCode(t, err, "InvalidAccessKeyId", 403)
}
