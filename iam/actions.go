package iam

// IAM actions the S3 layer checks besides the one ActionFor returns.
const (
	// ActionBypassGovernanceRetention must also be allowed when a request
	// carries x-amz-bypass-governance-retention: true and a GOVERNANCE
	// retention would otherwise refuse it (DeleteObject and DeleteObjects
	// with a version id, PutObjectRetention shortening or removing a
	// retention). As in AWS, the header without the permission does not
	// fail the request by itself; the lock then applies as if no bypass had
	// been asked for.
	ActionBypassGovernanceRetention = "s3:BypassGovernanceRetention"
	// ActionPutObjectRetention must also be allowed for PutObject, CopyObject
	// and CreateMultipartUpload carrying x-amz-object-lock-mode /
	// x-amz-object-lock-retain-until-date, with the s3:object-lock-* keys
	// set from those headers.
	ActionPutObjectRetention = "s3:PutObjectRetention"
	// ActionPutObjectLegalHold must also be allowed for PutObject,
	// CopyObject and CreateMultipartUpload carrying
	// x-amz-object-lock-legal-hold, with s3:object-lock-legal-hold set.
	ActionPutObjectLegalHold = "s3:PutObjectLegalHold"
	// ActionPutObjectTagging must also be allowed for PutObject,
	// CopyObject (x-amz-tagging-directive REPLACE) and
	// CreateMultipartUpload carrying x-amz-tagging, with
	// s3:RequestObjectTag/<k> and s3:RequestObjectTagKeys set from it.
	ActionPutObjectTagging = "s3:PutObjectTagging"
)

// ActionFor returns the IAM action that authorizes the S3 operation op
// (its API name, e.g. "GetObject"), or "" for an unknown operation.
// hasVersionID selects the version-specific action where S3 has one
// (GetObject with versionId → s3:GetObjectVersion, DeleteObject with
// versionId → s3:DeleteObjectVersion, …); it is ignored elsewhere.
//
// Some operations need more than one check, which the S3 layer makes:
// CopyObject and UploadPartCopy also need s3:GetObject (or
// s3:GetObjectVersion) on the source object; DeleteObjects is checked per
// key as DeleteObject; CreateBucket with Object Lock also needs
// s3:PutBucketObjectLockConfiguration and s3:PutBucketVersioning; see also
// the Action… constants.
func ActionFor(op string, hasVersionID bool) string {
	a, versioned := s3Action(op)
	if hasVersionID && versioned != "" {
		return versioned
	}
	return a
}

// s3Action maps an S3 operation to its IAM action and, where it differs,
// the action for a request naming a version.
func s3Action(op string) (action, versioned string) {
	switch op {
	// Service.
	case "ListBuckets":
		return "s3:ListAllMyBuckets", ""

	// Buckets.
	case "CreateBucket":
		return "s3:CreateBucket", ""
	case "DeleteBucket":
		return "s3:DeleteBucket", ""
	case "HeadBucket", "ListObjects", "ListObjectsV2":
		return "s3:ListBucket", ""
	case "ListObjectVersions":
		return "s3:ListBucketVersions", ""
	case "ListMultipartUploads":
		return "s3:ListBucketMultipartUploads", ""
	case "GetBucketLocation":
		return "s3:GetBucketLocation", ""
	case "GetBucketVersioning":
		return "s3:GetBucketVersioning", ""
	case "PutBucketVersioning":
		return "s3:PutBucketVersioning", ""
	case "GetObjectLockConfiguration":
		return "s3:GetBucketObjectLockConfiguration", ""
	case "PutObjectLockConfiguration":
		return "s3:PutBucketObjectLockConfiguration", ""
	case "GetBucketPolicy":
		return "s3:GetBucketPolicy", ""
	case "PutBucketPolicy":
		return "s3:PutBucketPolicy", ""
	case "DeleteBucketPolicy":
		return "s3:DeleteBucketPolicy", ""
	case "GetBucketPolicyStatus":
		return "s3:GetBucketPolicyStatus", ""
	case "GetBucketAcl":
		return "s3:GetBucketAcl", ""
	case "PutBucketAcl":
		return "s3:PutBucketAcl", ""
	case "GetBucketTagging":
		return "s3:GetBucketTagging", ""
	case "PutBucketTagging", "DeleteBucketTagging":
		return "s3:PutBucketTagging", ""
	case "GetBucketCors":
		return "s3:GetBucketCORS", ""
	case "PutBucketCors", "DeleteBucketCors":
		return "s3:PutBucketCORS", ""
	case "GetBucketLifecycleConfiguration", "GetBucketLifecycle":
		return "s3:GetLifecycleConfiguration", ""
	case "PutBucketLifecycleConfiguration", "PutBucketLifecycle", "DeleteBucketLifecycle":
		return "s3:PutLifecycleConfiguration", ""
	case "GetBucketEncryption":
		return "s3:GetEncryptionConfiguration", ""
	case "PutBucketEncryption", "DeleteBucketEncryption":
		return "s3:PutEncryptionConfiguration", ""
	case "GetBucketOwnershipControls":
		return "s3:GetBucketOwnershipControls", ""
	case "PutBucketOwnershipControls":
		return "s3:PutBucketOwnershipControls", ""
	case "DeleteBucketOwnershipControls":
		return "s3:DeleteBucketOwnershipControls", ""

	// Objects.
	case "GetObject", "HeadObject", "SelectObjectContent":
		return "s3:GetObject", "s3:GetObjectVersion"
	case "GetObjectAttributes":
		return "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"
	case "PutObject", "CopyObject", "CreateMultipartUpload", "UploadPart", "UploadPartCopy",
		"CompleteMultipartUpload", "PostObject":
		return "s3:PutObject", ""
	case "AbortMultipartUpload":
		return "s3:AbortMultipartUpload", ""
	case "ListParts":
		return "s3:ListMultipartUploadParts", ""
	case "DeleteObject", "DeleteObjects":
		return "s3:DeleteObject", "s3:DeleteObjectVersion"
	case "GetObjectRetention":
		return "s3:GetObjectRetention", ""
	case "PutObjectRetention":
		return "s3:PutObjectRetention", ""
	case "GetObjectLegalHold":
		return "s3:GetObjectLegalHold", ""
	case "PutObjectLegalHold":
		return "s3:PutObjectLegalHold", ""
	case "GetObjectAcl":
		return "s3:GetObjectAcl", "s3:GetObjectVersionAcl"
	case "PutObjectAcl":
		return "s3:PutObjectAcl", "s3:PutObjectVersionAcl"
	case "GetObjectTagging":
		return "s3:GetObjectTagging", "s3:GetObjectVersionTagging"
	case "PutObjectTagging":
		return "s3:PutObjectTagging", "s3:PutObjectVersionTagging"
	case "DeleteObjectTagging":
		return "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"
	case "GetObjectTorrent":
		return "s3:GetObjectTorrent", "s3:GetObjectVersionTorrent"
	case "RestoreObject":
		return "s3:RestoreObject", ""
	}
	return "", ""
}

// Operations lists the S3 operation names ActionFor knows, in a fixed
// order. The slice is new on every call.
func Operations() []string {
	return []string{
		"ListBuckets",
		"CreateBucket", "DeleteBucket", "HeadBucket", "ListObjects", "ListObjectsV2",
		"ListObjectVersions", "ListMultipartUploads", "GetBucketLocation", "GetBucketVersioning",
		"PutBucketVersioning", "GetObjectLockConfiguration", "PutObjectLockConfiguration",
		"GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy", "GetBucketPolicyStatus",
		"GetBucketAcl", "PutBucketAcl", "GetBucketTagging", "PutBucketTagging",
		"DeleteBucketTagging", "GetBucketCors", "PutBucketCors", "DeleteBucketCors",
		"GetBucketLifecycleConfiguration", "GetBucketLifecycle", "PutBucketLifecycleConfiguration",
		"PutBucketLifecycle", "DeleteBucketLifecycle", "GetBucketEncryption", "PutBucketEncryption",
		"DeleteBucketEncryption", "GetBucketOwnershipControls", "PutBucketOwnershipControls",
		"DeleteBucketOwnershipControls",
		"GetObject", "HeadObject", "SelectObjectContent", "GetObjectAttributes", "PutObject",
		"CopyObject", "CreateMultipartUpload", "UploadPart", "UploadPartCopy",
		"CompleteMultipartUpload", "AbortMultipartUpload", "ListParts", "DeleteObject",
		"DeleteObjects", "GetObjectRetention", "PutObjectRetention", "GetObjectLegalHold",
		"PutObjectLegalHold", "GetObjectAcl", "PutObjectAcl", "GetObjectTagging",
		"PutObjectTagging", "DeleteObjectTagging", "GetObjectTorrent", "RestoreObject",
		"PostObject",
	}
}

// s3ARNPrefix is the prefix of every S3 bucket and object ARN.
const s3ARNPrefix = "arn:aws:s3:::"

// BucketARN returns the ARN of a bucket, "arn:aws:s3:::bucket".
func BucketARN(bucket string) string { return s3ARNPrefix + bucket }

// ObjectARN returns the ARN of an object, "arn:aws:s3:::bucket/key". The
// key is used as is (no escaping), as in AWS.
func ObjectARN(bucket, key string) string { return s3ARNPrefix + bucket + "/" + key }

// ResourceFor returns the Request.Resource for an operation on bucket and
// key: ObjectARN when key is set, BucketARN when only bucket is, and
// "arn:aws:s3:::" for service-level operations (ListBuckets), which the
// policy resources "*" and "arn:aws:s3:::*" both match.
func ResourceFor(bucket, key string) string {
	switch {
	case bucket == "":
		return s3ARNPrefix
	case key == "":
		return BucketARN(bucket)
	}
	return ObjectARN(bucket, key)
}

// RootARN returns the ARN of an account's root user,
// "arn:aws:iam::<account>:root". A bare account id in a Principal element
// means this ARN.
func RootARN(account string) string { return "arn:aws:iam::" + account + ":root" }

// UserARN returns the ARN of an IAM user, "arn:aws:iam::<account>:user/<name>".
func UserARN(account, name string) string { return "arn:aws:iam::" + account + ":user/" + name }
