package gate

import "github.com/wormstore/wormstore/engine"

// DoorLifecycle is the lifecycle worker's door: it is no network door, but
// its removals are audited through scopes like every request's, with
// source and principal "lifecycle".
const DoorLifecycle = "lifecycle"

// LifecyclePrincipal is the audit principal of lifecycle actions.
const LifecyclePrincipal = "lifecycle"

// The lifecycle worker's operations (audit operation names). They have no
// IAM action: no door routes them, no user can ask for them, and the worker
// never calls Allowed or MayBypass (so it can never exercise a governance
// bypass; the engine's LifecycleRemove takes none).
const (
	// OpLifecycleExpireCurrent: an Expiration made a current version
	// noncurrent (delete marker) or, on an unversioned bucket, removed it.
	OpLifecycleExpireCurrent = "lifecycle:ExpireCurrentVersion"
	// OpLifecycleRemoveNoncurrent: a NoncurrentVersionExpiration removed a
	// noncurrent version.
	OpLifecycleRemoveNoncurrent = "lifecycle:RemoveNoncurrentVersion"
	// OpLifecycleRemoveDeleteMarker: an expired object delete marker (the
	// key's only version) was removed.
	OpLifecycleRemoveDeleteMarker = "lifecycle:RemoveExpiredDeleteMarker"
	// OpLifecycleAbortUpload: an AbortIncompleteMultipartUpload aborted an
	// upload.
	OpLifecycleAbortUpload = "lifecycle:AbortIncompleteMultipartUpload"
	// OpLifecyclePass: the summary of one pass (counts, versions skipped
	// because they are locked).
	OpLifecyclePass = "lifecycle:Pass"
)

// lifecycleOps are the worker's rows of the op table: mutating, audited,
// no IAM action.
func lifecycleOps() []Op {
	var out []Op
	for _, name := range []string{OpLifecycleExpireCurrent, OpLifecycleRemoveNoncurrent, OpLifecycleRemoveDeleteMarker,
		OpLifecycleAbortUpload, OpLifecyclePass} {
		out = append(out, Op{Name: name, Mutating: true, Audited: true})
	}
	return out
}

// IsInternalOp reports whether name is an operation of an internal door
// (the lifecycle worker): no IAM action, never routed from the network.
func IsInternalOp(name string) bool {
	for _, o := range lifecycleOps() {
		if o.Name == name {
			return true
		}
	}
	return false
}

// BeginLifecycle opens the audit scope of one lifecycle action (or pass
// summary) for operation op: source and principal "lifecycle", the given
// request id (the pass's, or the admin request that ran it). Its caller is
// not authenticated, so Allowed and MayBypass refuse it everything; the
// worker needs neither.
func (g *Gate) BeginLifecycle(requestID, op string) *Scope {
	s := &Scope{g: g, door: DoorLifecycle}
	s.es.Base = engine.AuditEntry{RequestID: requestID, Source: DoorLifecycle, Principal: LifecyclePrincipal}
	s.SetOp(op)
	return s
}
