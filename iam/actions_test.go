package iam

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestActionFor(t *testing.T) {
	tests := []struct {
		op        string
		versionID bool
		want      string
	}{
		{"GetObject", false, "s3:GetObject"},
		{"GetObject", true, "s3:GetObjectVersion"},
		{"HeadObject", false, "s3:GetObject"},
		{"HeadObject", true, "s3:GetObjectVersion"},
		{"DeleteObject", false, "s3:DeleteObject"},
		{"DeleteObject", true, "s3:DeleteObjectVersion"},
		{"DeleteObjects", true, "s3:DeleteObjectVersion"},
		{"PutObject", false, "s3:PutObject"},
		{"PutObject", true, "s3:PutObject"},
		{"CopyObject", false, "s3:PutObject"},
		{"CreateMultipartUpload", false, "s3:PutObject"},
		{"UploadPart", false, "s3:PutObject"},
		{"UploadPartCopy", false, "s3:PutObject"},
		{"CompleteMultipartUpload", false, "s3:PutObject"},
		{"AbortMultipartUpload", false, "s3:AbortMultipartUpload"},
		{"ListParts", false, "s3:ListMultipartUploadParts"},
		{"ListMultipartUploads", false, "s3:ListBucketMultipartUploads"},
		{"PutObjectRetention", false, "s3:PutObjectRetention"},
		{"PutObjectRetention", true, "s3:PutObjectRetention"},
		{"GetObjectRetention", true, "s3:GetObjectRetention"},
		{"PutObjectLegalHold", true, "s3:PutObjectLegalHold"},
		{"GetObjectLegalHold", false, "s3:GetObjectLegalHold"},
		{"PutObjectLockConfiguration", false, "s3:PutBucketObjectLockConfiguration"},
		{"GetObjectLockConfiguration", false, "s3:GetBucketObjectLockConfiguration"},
		{"GetBucketVersioning", false, "s3:GetBucketVersioning"},
		{"PutBucketVersioning", false, "s3:PutBucketVersioning"},
		{"ListBuckets", false, "s3:ListAllMyBuckets"},
		{"ListObjects", false, "s3:ListBucket"},
		{"ListObjectsV2", false, "s3:ListBucket"},
		{"HeadBucket", false, "s3:ListBucket"},
		{"ListObjectVersions", false, "s3:ListBucketVersions"},
		{"CreateBucket", false, "s3:CreateBucket"},
		{"DeleteBucket", false, "s3:DeleteBucket"},
		{"GetBucketLocation", false, "s3:GetBucketLocation"},
		{"PutBucketPolicy", false, "s3:PutBucketPolicy"},
		{"GetBucketPolicy", false, "s3:GetBucketPolicy"},
		{"DeleteBucketPolicy", false, "s3:DeleteBucketPolicy"},
		{"GetObjectTagging", true, "s3:GetObjectVersionTagging"},
		{"DeleteBucketLifecycle", false, "s3:PutLifecycleConfiguration"},
		{"getobject", false, ""},
		{"Frobnicate", true, ""},
		{"", false, ""},
	}
	for _, tt := range tests {
		got := ActionFor(tt.op, tt.versionID)
		require.Equal(t, tt.want, got, "ActionFor(%q, %v): got %q, want %q", tt.op, tt.versionID, got, tt.want)
	}
}

// TestActionsAreKnown: every action ActionFor returns, and the Action…
// constants, are real S3 actions, so a bucket policy can name them.
func TestActionsAreKnown(t *testing.T) {
	known := make(map[string]bool)
	for _, a := range s3ActionNames() {
		require.False(t, known["s3:"+a], "duplicate %s", a)
		known["s3:"+a] = true
	}
	ops := Operations()
	require.NotEmpty(t, ops)
	seen := make(map[string]bool)
	for _, op := range ops {
		require.False(t, seen[op], "duplicate operation %s", op)
		seen[op] = true
		for _, v := range []bool{false, true} {
			a := ActionFor(op, v)
			require.True(t, known[a], "ActionFor(%q, %v) = %q is not a known S3 action", op, v, a)
		}
	}
	for _, a := range []string{ActionBypassGovernanceRetention, ActionPutObjectRetention, ActionPutObjectLegalHold, ActionPutObjectTagging} {
		require.True(t, known[a], a)
	}
	// Operations returns a fresh slice.
	ops[0] = "x"
	require.NotEqual(t, "x", Operations()[0])
}

func TestARNs(t *testing.T) {
	require.Equal(t, "arn:aws:s3:::archive", BucketARN("archive"))
	require.Equal(t, "arn:aws:s3:::archive/a/b c.tar", ObjectARN("archive", "a/b c.tar"))
	require.Equal(t, "arn:aws:s3:::archive/", ObjectARN("archive", ""))
	require.Equal(t, "arn:aws:s3:::", ResourceFor("", ""))
	require.Equal(t, BucketARN("b"), ResourceFor("b", ""))
	require.Equal(t, ObjectARN("b", "k"), ResourceFor("b", "k"))
	require.Equal(t, "arn:aws:iam::000000000000:root", RootARN(account))
	require.Equal(t, uploader, UserARN(account, "uploader"))
	for _, k := range []string{KeyObjectLockLegalHold, KeyObjectLockMode, KeyObjectLockRetainUntilDate,
		KeyObjectLockRemainingRetentionDays, KeyPrefix, KeyDelimiter, KeyMaxKeys, KeyVersionID,
		KeySecureTransport, KeySourceIP, KeyCurrentTime, KeyEpochTime, KeyUsername, KeyUserID,
		KeyPrincipalArn, KeyPrincipalAccount} {
		require.True(t, knownKey(k), k)
		require.True(t, knownKey(strings.ToUpper(k)), k)
	}
}

func TestStrings(t *testing.T) {
	require.Equal(t, "Allow", EffectAllow.String())
	require.Equal(t, "Effect(9)", Effect(9).String())
	require.Equal(t, "explicit deny", ExplicitDeny.String())
	require.Equal(t, "Outcome(9)", Outcome(9).String())
	require.Equal(t, "implicit deny (no statement applies)", Decision{Policy: -1, Statement: -1}.String())
	require.Equal(t, `explicit deny by bucket policy 0 (Id "p") statement 2 (Sid "HoldOnlyOn")`,
		Decision{Outcome: ExplicitDeny, Sid: "HoldOnlyOn", PolicyID: "p", FromBucketPolicy: true, Statement: 2}.String())
}
