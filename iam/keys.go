package iam

import (
	"strings"
	"time"
)

// Condition keys the server supplies in Request.Context (or, for
// aws:username and aws:PrincipalArn, derives from the Request). Condition
// key names are case-insensitive; these are the spellings AWS documents.
// The value formats are described in the package documentation.
const (
	KeyObjectLockLegalHold              = "s3:object-lock-legal-hold"
	KeyObjectLockMode                   = "s3:object-lock-mode"
	KeyObjectLockRetainUntilDate        = "s3:object-lock-retain-until-date"
	KeyObjectLockRemainingRetentionDays = "s3:object-lock-remaining-retention-days"
	KeyPrefix                           = "s3:prefix"
	KeyDelimiter                        = "s3:delimiter"
	KeyMaxKeys                          = "s3:max-keys"
	KeyVersionID                        = "s3:versionid"
	KeySecureTransport                  = "aws:SecureTransport"
	KeySourceIP                         = "aws:SourceIp"
	KeyCurrentTime                      = "aws:CurrentTime"
	KeyEpochTime                        = "aws:EpochTime"
	KeyUsername                         = "aws:username"
	KeyUserID                           = "aws:userid"
	KeyPrincipalArn                     = "aws:PrincipalArn"
	KeyPrincipalAccount                 = "aws:PrincipalAccount"
	// KeyExistingObjectTagPrefix + tag key is the value of that tag on
	// the object version a request acts on.
	KeyExistingObjectTagPrefix = "s3:ExistingObjectTag/"
	// KeyRequestObjectTagPrefix + tag key is the value of that tag in the
	// tag set a request writes (x-amz-tagging, PutObjectTagging's body).
	KeyRequestObjectTagPrefix = "s3:RequestObjectTag/"
	// KeyRequestObjectTagKeys lists the keys of the tag set a request
	// writes (multi-valued: use ForAllValues/ForAnyValue).
	KeyRequestObjectTagKeys = "s3:RequestObjectTagKeys"
)

// knownKey reports whether key is a condition key AWS defines for the aws:
// or s3: namespace (case-insensitively). Keys of other services are not
// checked. Bucket policies use it to refuse typos, as S3 does ("Policy has
// an invalid condition key"): a misspelt key is always absent, which would
// silently disarm a Deny.
func knownKey(key string) bool {
	svc, name, ok := strings.Cut(key, ":")
	if !ok {
		return false
	}
	var names, prefixes []string
	switch strings.ToLower(svc) {
	case "aws":
		names = []string{
			"CalledVia", "CalledViaFirst", "CalledViaLast", "CurrentTime", "EpochTime",
			"FederatedProvider", "MultiFactorAuthAge", "MultiFactorAuthPresent",
			"PrincipalAccount", "PrincipalArn", "PrincipalIsAWSService", "PrincipalOrgID",
			"PrincipalOrgPaths", "PrincipalServiceName", "PrincipalServiceNamesList",
			"PrincipalType", "Referer", "RequestedRegion", "ResourceAccount", "ResourceOrgID",
			"ResourceOrgPaths", "SecureTransport", "SourceAccount", "SourceArn", "SourceIdentity",
			"SourceIp", "SourceOrgID", "SourceOrgPaths", "SourceVpc", "SourceVpcArn", "SourceVpce",
			"TagKeys", "TokenIssueTime", "UserAgent", "userid", "username", "ViaAWSService",
			"VpcSourceIp", "VpceAccount", "VpceOrgID", "VpceOrgPaths",
			"Ec2InstanceSourceVpc", "Ec2InstanceSourcePrivateIPv4",
		}
		prefixes = []string{"PrincipalTag/", "RequestTag/", "ResourceTag/"}
	case "s3":
		names = []string{
			"AccessGrantsInstanceArn", "AccessPointNetworkOrigin", "authType",
			"DataAccessPointAccount", "DataAccessPointArn", "delimiter", "ExistingJobOperation",
			"ExistingJobPriority", "if-match", "if-none-match", "InventoryAccessibleOptionalFields",
			"JobSuspendedCause", "LocationConstraint", "max-keys", "object-lock-legal-hold",
			"object-lock-mode", "object-lock-remaining-retention-days",
			"object-lock-retain-until-date", "ObjectCreationOperation", "prefix",
			"RequestJobOperation", "RequestJobPriority", "RequestObjectTagKeys", "ResourceAccount",
			"signatureAge", "signatureversion", "TlsVersion", "versionid", "x-amz-acl",
			"x-amz-content-sha256", "x-amz-copy-source", "x-amz-grant-full-control",
			"x-amz-grant-read", "x-amz-grant-read-acp", "x-amz-grant-write", "x-amz-grant-write-acp",
			"x-amz-metadata-directive", "x-amz-object-ownership", "x-amz-server-side-encryption",
			"x-amz-server-side-encryption-aws-kms-key-id",
			"x-amz-server-side-encryption-customer-algorithm", "x-amz-storage-class",
			"x-amz-website-redirect-location",
		}
		prefixes = []string{"ExistingObjectTag/", "RequestObjectTag/"}
	default:
		return true
	}
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	for _, p := range prefixes {
		if len(name) > len(p) && strings.EqualFold(name[:len(p)], p) {
			return true
		}
	}
	return false
}

// s3ActionNames lists the IAM actions of the s3 service (AWS service
// authorization reference). Bucket policies may only name these.
func s3ActionNames() []string {
	return []string{
		"AbortMultipartUpload", "AssociateAccessGrantsIdentityCenter", "BypassGovernanceRetention",
		"CreateAccessGrant", "CreateAccessGrantsInstance", "CreateAccessGrantsLocation",
		"CreateAccessPoint", "CreateAccessPointForObjectLambda", "CreateBucket",
		"CreateBucketMetadataConfiguration", "CreateBucketMetadataTableConfiguration", "CreateJob",
		"CreateMultiRegionAccessPoint", "CreateStorageLensGroup", "DeleteAccessGrant",
		"DeleteAccessGrantsInstance", "DeleteAccessGrantsInstanceResourcePolicy",
		"DeleteAccessGrantsLocation", "DeleteAccessPoint", "DeleteAccessPointForObjectLambda",
		"DeleteAccessPointPolicy", "DeleteAccessPointPolicyForObjectLambda", "DeleteBucket",
		"DeleteBucketMetadataConfiguration", "DeleteBucketMetadataTableConfiguration",
		"DeleteBucketOwnershipControls", "DeleteBucketPolicy", "DeleteBucketWebsite",
		"DeleteJobTagging", "DeleteMultiRegionAccessPoint", "DeleteObject", "DeleteObjectTagging",
		"DeleteObjectVersion", "DeleteObjectVersionTagging", "DeleteStorageLensConfiguration",
		"DeleteStorageLensConfigurationTagging", "DeleteStorageLensGroup", "DescribeJob",
		"DescribeMultiRegionAccessPointOperation", "DissociateAccessGrantsIdentityCenter",
		"GetAccelerateConfiguration", "GetAccessGrant", "GetAccessGrantsInstance",
		"GetAccessGrantsInstanceForPrefix", "GetAccessGrantsInstanceResourcePolicy",
		"GetAccessGrantsLocation", "GetAccessPoint", "GetAccessPointConfigurationForObjectLambda",
		"GetAccessPointForObjectLambda", "GetAccessPointPolicy", "GetAccessPointPolicyForObjectLambda",
		"GetAccessPointPolicyStatus", "GetAccessPointPolicyStatusForObjectLambda",
		"GetAccountPublicAccessBlock", "GetAnalyticsConfiguration", "GetBucketAcl", "GetBucketCORS",
		"GetBucketLocation", "GetBucketLogging", "GetBucketMetadataConfiguration",
		"GetBucketMetadataTableConfiguration", "GetBucketNotification",
		"GetBucketObjectLockConfiguration", "GetBucketOwnershipControls", "GetBucketPolicy",
		"GetBucketPolicyStatus", "GetBucketPublicAccessBlock", "GetBucketRequestPayment",
		"GetBucketTagging", "GetBucketVersioning", "GetBucketWebsite", "GetDataAccess",
		"GetEncryptionConfiguration", "GetIntelligentTieringConfiguration",
		"GetInventoryConfiguration", "GetJobTagging", "GetLifecycleConfiguration",
		"GetMetricsConfiguration", "GetMultiRegionAccessPoint", "GetMultiRegionAccessPointPolicy",
		"GetMultiRegionAccessPointPolicyStatus", "GetMultiRegionAccessPointRoutes", "GetObject",
		"GetObjectAcl", "GetObjectAttributes", "GetObjectLegalHold", "GetObjectRetention",
		"GetObjectTagging", "GetObjectTorrent", "GetObjectVersion", "GetObjectVersionAcl",
		"GetObjectVersionAttributes", "GetObjectVersionForReplication", "GetObjectVersionTagging",
		"GetObjectVersionTorrent", "GetReplicationConfiguration", "GetStorageLensConfiguration",
		"GetStorageLensConfigurationTagging", "GetStorageLensDashboard", "GetStorageLensGroup",
		"InitiateReplication", "ListAccessGrants", "ListAccessGrantsInstances",
		"ListAccessGrantsLocations", "ListAccessPoints", "ListAccessPointsForObjectLambda",
		"ListAllMyBuckets", "ListBucket", "ListBucketMultipartUploads", "ListBucketVersions",
		"ListCallerAccessGrants", "ListJobs", "ListMultiRegionAccessPoints",
		"ListMultipartUploadParts", "ListStorageLensConfigurations", "ListStorageLensGroups",
		"ListTagsForResource", "ObjectOwnerOverrideToBucketOwner", "PauseReplication",
		"PutAccelerateConfiguration", "PutAccessGrantsInstanceResourcePolicy",
		"PutAccessPointConfigurationForObjectLambda", "PutAccessPointPolicy",
		"PutAccessPointPolicyForObjectLambda", "PutAccessPointPublicAccessBlock",
		"PutAccountPublicAccessBlock", "PutAnalyticsConfiguration", "PutBucketAcl", "PutBucketCORS",
		"PutBucketLogging", "PutBucketNotification", "PutBucketObjectLockConfiguration",
		"PutBucketOwnershipControls", "PutBucketPolicy", "PutBucketPublicAccessBlock",
		"PutBucketRequestPayment", "PutBucketTagging", "PutBucketVersioning", "PutBucketWebsite",
		"PutEncryptionConfiguration", "PutIntelligentTieringConfiguration",
		"PutInventoryConfiguration", "PutJobTagging", "PutLifecycleConfiguration",
		"PutMetricsConfiguration", "PutMultiRegionAccessPointPolicy", "PutObject", "PutObjectAcl",
		"PutObjectLegalHold", "PutObjectRetention", "PutObjectTagging", "PutObjectVersionAcl",
		"PutObjectVersionTagging", "PutReplicationConfiguration", "PutStorageLensConfiguration",
		"PutStorageLensConfigurationTagging", "ReplicateDelete", "ReplicateObject", "ReplicateTags",
		"RestoreObject", "SubmitMultiRegionAccessPointRoutes", "TagResource", "UntagResource",
		"UpdateAccessGrantsLocation", "UpdateBucketMetadataInventoryTableConfiguration",
		"UpdateBucketMetadataJournalTableConfiguration", "UpdateJobPriority", "UpdateJobStatus",
		"UpdateStorageLensGroup",
	}
}

// matchesKnownS3Action reports whether the lower-cased action pattern p
// (service prefix included) matches at least one s3 action.
func matchesKnownS3Action(p pattern) bool {
	for _, a := range s3ActionNames() {
		if p.match("s3:" + strings.ToLower(a)) {
			return true
		}
	}
	return false
}

// RemainingRetentionDays returns the value of
// s3:object-lock-remaining-retention-days for a request that sets the
// retain-until date until at time now: the whole days between them,
// rounded down (a retention ending 29 days and 23 hours from now is 29
// days, so a floor of 30 refuses it). It is negative for a date in the
// past. It works in whole seconds, so dates centuries away do not
// overflow.
func RemainingRetentionDays(now, until time.Time) int64 {
	secs := until.Unix() - now.Unix()
	if until.Nanosecond() < now.Nanosecond() {
		secs--
	}
	days := secs / 86400
	if secs%86400 < 0 {
		days--
	}
	return days
}
