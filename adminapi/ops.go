package adminapi

import "net/http"

// Op is one row of the operation table: one (method, route) of the API.
// It has the shape of the gate package's S3/console operation table so the
// two can be merged.
type Op struct {
	// Method is the HTTP method.
	Method string
	// Route is the path pattern below Prefix, e.g. "users/{user}/keys".
	Route string
	// Name is the operation's name in audit entries, e.g.
	// "AdminAttachUserPolicy".
	Name string
	// Action is the IAM action an identity policy must allow for a user to
	// call the operation: "admin:<Method>/<Route>".
	Action string
	// Mutating operations change identities or storage. They write an
	// intent entry before they take effect and a result entry after.
	Mutating bool
	// Audited operations write a result entry before their response. Every
	// mutating operation is audited; every operation is audited when denied.
	Audited bool
	// Body is set for the one operation with a request body (a policy
	// document); it is read and checked against its signed hash before the
	// intent entry, which records its hash.
	Body bool
}

// Ops returns the operation table, one row per route, in documentation
// order. The slice is the caller's.
func Ops() []Op {
	const get, put, post, del = http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete
	rows := []Op{
		{Method: get, Route: "buckets", Name: "AdminListBuckets"},
		{Method: get, Route: "buckets/{name}", Name: "AdminGetBucket"},
		{Method: get, Route: "stats", Name: "AdminGetStats"},
		{Method: get, Route: "segments", Name: "AdminListSegments"},
		{Method: post, Route: "compact", Name: "AdminCompact", Mutating: true, Audited: true},
		// Verify only reads, but who checked the store when is on record.
		{Method: post, Route: "verify", Name: "AdminVerify", Audited: true},
		// Who read or checked the audit log is audit-relevant.
		{Method: get, Route: "audit", Name: "AdminReadAudit", Audited: true},
		{Method: get, Route: "audit/verify", Name: "AdminVerifyAudit", Audited: true},
		{Method: get, Route: "users", Name: "AdminListUsers"},
		{Method: put, Route: "users/{user}", Name: "AdminCreateUser", Mutating: true, Audited: true},
		{Method: get, Route: "users/{user}", Name: "AdminGetUser"},
		{Method: del, Route: "users/{user}", Name: "AdminDeleteUser", Mutating: true, Audited: true},
		{Method: get, Route: "users/{user}/keys", Name: "AdminListAccessKeys"},
		{Method: post, Route: "users/{user}/keys", Name: "AdminCreateAccessKey", Mutating: true, Audited: true},
		{Method: del, Route: "users/{user}/keys/{key}", Name: "AdminDeleteAccessKey", Mutating: true, Audited: true},
		{Method: post, Route: "users/{user}/keys/{key}/disable", Name: "AdminDisableAccessKey", Mutating: true, Audited: true},
		{Method: post, Route: "users/{user}/keys/{key}/enable", Name: "AdminEnableAccessKey", Mutating: true, Audited: true},
		{Method: get, Route: "users/{user}/policies", Name: "AdminListUserPolicies"},
		{Method: put, Route: "users/{user}/policies/{policy}", Name: "AdminAttachUserPolicy", Mutating: true, Audited: true, Body: true},
		{Method: get, Route: "users/{user}/policies/{policy}", Name: "AdminGetUserPolicy"},
		{Method: del, Route: "users/{user}/policies/{policy}", Name: "AdminDetachUserPolicy", Mutating: true, Audited: true},
		{Method: get, Route: "clock", Name: "AdminGetClock"},
		// A checkpoint retires WAL files to the archive: on record.
		{Method: post, Route: "checkpoint", Name: "AdminCheckpoint", Mutating: true, Audited: true},
		{Method: get, Route: "checkpoints", Name: "AdminListCheckpoints"},
		{Method: post, Route: "wal-archive/delete", Name: "AdminDeleteWALArchive", Mutating: true, Audited: true},
	}
	for i := range rows {
		rows[i].Action = ActionFor(rows[i].Method, rows[i].Route)
	}
	return rows
}

// ActionFor names the admin action of a method and route pattern.
func ActionFor(method, route string) string {
	return "admin:" + method + "/" + route
}

// opRow is an Op with its handler.
type opRow struct {
	Op
	handle adminRoute
}
