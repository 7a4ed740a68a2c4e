package gate

import (
	"strings"

	"github.com/wormstore/wormstore/iam"
)

// OpConsoleRead is the operation of console pages that only show things.
const OpConsoleRead = "console:Read"

// The console's authentication decisions: every sign-in attempt and every
// sign-out is audited (they change no stored state, so they are not
// mutating; no IAM action applies).
const (
	OpConsoleSignIn  = "console:SignIn"
	OpConsoleSignOut = "console:SignOut"
)

// OpOptionsPreflight is the CORS preflight (OPTIONS on a bucket or object):
// answered from the bucket's CORS rules without authentication, so it has
// no IAM action; refusals are audited (rate-limited, as every
// unauthenticated refusal).
const OpOptionsPreflight = "OptionsPreflight"

// Op describes one operation a door can perform.
type Op struct {
	// Name is the operation's API name ("PutObjectRetention"), or a door's
	// own name for operations S3 does not have ("admin:CreateUser").
	Name string
	// Action is the IAM action that authorizes it ("" if none applies).
	Action string
	// VersionedAction is the action when the request names a version
	// (s3:GetObjectVersion for GetObject); equal to Action where S3 has
	// no separate one.
	VersionedAction string
	// Mutating operations change stored state.
	Mutating bool
	// LockRelated operations read or change Object Lock state.
	LockRelated bool
	// Audited operations get an audit entry even when they succeed.
	// Denied requests are always audited. Reads, lock-state reads
	// included, are not audited when they succeed: they change nothing and
	// must keep working while the audit disk is full.
	Audited bool
}

// ActionFor returns the IAM action for the op, versioned or not.
func (o Op) ActionFor(hasVersionID bool) string {
	if hasVersionID {
		return o.VersionedAction
	}
	return o.Action
}

// opRow is the table's source: the name and the two flags; the actions
// come from iam.ActionFor, so the IAM mapping stays in one place.
type opRow struct {
	name              string
	mutating, locking bool
}

// opRows lists every operation. Do not reorder for meaning: lookups are by
// name.
func opRows() []opRow {
	return []opRow{
		// Service and buckets.
		{"ListBuckets", false, false},
		{"CreateBucket", true, false},
		{"HeadBucket", false, false},
		{"DeleteBucket", true, false},
		{"ListObjects", false, false},
		{"ListObjectsV2", false, false},
		{"ListObjectVersions", false, false},
		{"ListMultipartUploads", false, false},
		{"GetBucketLocation", false, false},
		{"GetBucketVersioning", false, false},
		{"PutBucketVersioning", true, false},
		{"GetObjectLockConfiguration", false, true},
		{"PutObjectLockConfiguration", true, true},
		{"GetBucketPolicy", false, false},
		{"PutBucketPolicy", true, false},
		{"DeleteBucketPolicy", true, false},
		{"GetBucketLifecycleConfiguration", false, false},
		{"PutBucketLifecycleConfiguration", true, false},
		{"DeleteBucketLifecycle", true, false},
		{"DeleteObjects", true, true},
		{"GetBucketTagging", false, false},
		{"PutBucketTagging", true, false},
		{"DeleteBucketTagging", true, false},
		{"GetBucketAcl", false, false},
		{"PutBucketAcl", true, false},
		{"GetBucketOwnershipControls", false, false},
		{"PutBucketOwnershipControls", true, false},
		{"DeleteBucketOwnershipControls", true, false},
		{"GetBucketCors", false, false},
		{"PutBucketCors", true, false},
		{"DeleteBucketCors", true, false},
		// Objects.
		{"PutObject", true, true},
		{"CopyObject", true, true},
		{"PostObject", true, true},
		{"GetObject", false, false},
		{"HeadObject", false, false},
		{"DeleteObject", true, true},
		{"GetObjectRetention", false, true},
		{"PutObjectRetention", true, true},
		{"GetObjectLegalHold", false, true},
		{"PutObjectLegalHold", true, true},
		{"GetObjectTagging", false, false},
		{"GetObjectAttributes", false, false},
		{"PutObjectTagging", true, false},
		{"DeleteObjectTagging", true, false},
		{"GetObjectAcl", false, false},
		{"PutObjectAcl", true, false},
		// Multipart.
		{"CreateMultipartUpload", true, true},
		{"UploadPart", true, false},
		{"UploadPartCopy", true, false},
		{"CompleteMultipartUpload", true, true},
		{"AbortMultipartUpload", true, false},
		{"ListParts", false, false},
		// The console's pages that only show things (listing, object
		// details, overview): audited only when refused.
		{OpConsoleRead, false, false},
	}
}

// AdminActionPrefix starts the IAM action of every admin API operation.
const AdminActionPrefix = "admin:"

// AdminAction names the IAM action of the admin API route pattern (below
// /admin/v1/) for method: "admin:<METHOD>/<route>", e.g. "admin:GET/stats".
func AdminAction(method, route string) string {
	return AdminActionPrefix + method + "/" + route
}

// adminRow is a row of the admin API's part of the table.
type adminRow struct {
	method, route, name string
	mutating, audited   bool
}

// adminRows lists the admin API's operations, in documentation order.
// Package adminapi routes by them (method and route come back from the
// action, see AdminAction). Every mutating operation is audited; a few
// reads are too, because who read or checked what is on record.
func adminRows() []adminRow {
	const get, put, post, del = "GET", "PUT", "POST", "DELETE"
	return []adminRow{
		{get, "buckets", "AdminListBuckets", false, false},
		{get, "buckets/{name}", "AdminGetBucket", false, false},
		// Veeam SOSAPI per bucket (the S3 API serves its files).
		{get, "buckets/{name}/sosapi", "AdminGetSOSAPI", false, false},
		{put, "buckets/{name}/sosapi", "AdminEnableSOSAPI", true, true},
		{del, "buckets/{name}/sosapi", "AdminDisableSOSAPI", true, true},
		{get, "stats", "AdminGetStats", false, false},
		{get, "segments", "AdminListSegments", false, false},
		{post, "compact", "AdminCompact", true, true},
		// Verify only reads, but who checked the store when is on record.
		{post, "verify", "AdminVerify", false, true},
		// Who read or checked the audit log is audit-relevant.
		{get, "audit", "AdminReadAudit", false, true},
		{get, "audit/verify", "AdminVerifyAudit", false, true},
		{get, "users", "AdminListUsers", false, false},
		{put, "users/{user}", "AdminCreateUser", true, true},
		{get, "users/{user}", "AdminGetUser", false, false},
		{del, "users/{user}", "AdminDeleteUser", true, true},
		{get, "users/{user}/keys", "AdminListAccessKeys", false, false},
		{post, "users/{user}/keys", "AdminCreateAccessKey", true, true},
		{del, "users/{user}/keys/{key}", "AdminDeleteAccessKey", true, true},
		{post, "users/{user}/keys/{key}/disable", "AdminDisableAccessKey", true, true},
		{post, "users/{user}/keys/{key}/enable", "AdminEnableAccessKey", true, true},
		{get, "users/{user}/policies", "AdminListUserPolicies", false, false},
		{put, "users/{user}/policies/{policy}", "AdminAttachUserPolicy", true, true},
		{get, "users/{user}/policies/{policy}", "AdminGetUserPolicy", false, false},
		{del, "users/{user}/policies/{policy}", "AdminDetachUserPolicy", true, true},
		{get, "clock", "AdminGetClock", false, false},
		// A checkpoint retires WAL files to the archive: on record.
		{post, "checkpoint", "AdminCheckpoint", true, true},
		{get, "checkpoints", "AdminListCheckpoints", false, false},
		{post, "wal-archive/delete", "AdminDeleteWALArchive", true, true},
		// Lifecycle: run a pass now (its removals are audited as lifecycle's).
		{post, "lifecycle/run", "AdminRunLifecycle", true, true},
		// Remote tier (adminapi/tier.go): configuring it and moving
		// segments are on record; a test of the remote is audited.
		{get, "tier", "AdminGetTier", false, false},
		{put, "tier", "AdminSetTier", true, true},
		{post, "tier/test", "AdminTestTier", false, true},
		{post, "tier/move", "AdminTierMove", true, true},
		{get, "tier/orphans", "AdminListTierOrphans", false, false},
	}
}

// Ops returns the operation table, one row per operation of every door:
// the S3 API's, the console's and the admin API's (whose actions are
// AdminAction's). The slice is the caller's.
func Ops() []Op {
	rows := opRows()
	out := make([]Op, 0, len(rows))
	for _, r := range rows {
		out = append(out, Op{
			Name: r.name, Action: iam.ActionFor(r.name, false), VersionedAction: iam.ActionFor(r.name, true),
			Mutating: r.mutating, LockRelated: r.locking, Audited: r.mutating,
		})
	}
	for _, r := range adminRows() {
		a := AdminAction(r.method, r.route)
		out = append(out, Op{Name: r.name, Action: a, VersionedAction: a, Mutating: r.mutating, Audited: r.audited})
	}
	for _, name := range []string{OpConsoleSignIn, OpConsoleSignOut} {
		out = append(out, Op{Name: name, Audited: true})
	}
	out = append(out, lifecycleOps()...) // gate/lifecycle.go
	out = append(out, Op{Name: OpOptionsPreflight})
	return out
}

// unknownOp is the row of an operation not in the table: treated as
// mutating and audited (fail safe), with no IAM action (so a user caller
// is refused).
func unknownOp(name string) Op {
	return Op{Name: name, Mutating: true, Audited: true, LockRelated: strings.Contains(name, "Retention") || strings.Contains(name, "LegalHold") || strings.Contains(name, "ObjectLock")}
}

// opTable indexes Ops by name.
func opTable() map[string]Op {
	m := map[string]Op{}
	for _, o := range Ops() {
		m[o.Name] = o
	}
	return m
}
