// Package adminapi is the admin API: JSON over HTTP on the admin listener,
// the server side of `wormstore admin`. Package main only wires it (New,
// AttachGate, AttachIdentityStore, Detach) and serves it under Prefix.
// Every request goes through the server's one gate (package gate), the
// same the S3 API and the console use: its op table, its authorization
// call, its audit scope.
//
//	GET  /admin/v1/buckets          {"buckets": [Bucket…]}
//	GET  /admin/v1/buckets/{name}   Bucket
//	GET  /admin/v1/buckets/{name}/sosapi  SOSAPI (Veeam SOSAPI state)
//	PUT  /admin/v1/buckets/{name}/sosapi  SOSAPI: enable
//	     ?capacity=BYTES            reported capacity (default 0 = the filesystem's)
//	     &kb_block_size=KB          block size recommended to Veeam (256…8192; default none)
//	DELETE /admin/v1/buckets/{name}/sosapi  SOSAPI: disable
//	GET  /admin/v1/stats            Stats
//	GET  /admin/v1/segments         {"segments": [Segment…]}
//	POST /admin/v1/compact          CompactResult
//	     ?rate=BYTES_PER_SECOND     copy-rate cap (default 0 = unlimited)
//	     &min_garbage=FRACTION      0..1 (default 0 = every segment with garbage)
//	POST /admin/v1/verify           NDJSON (application/x-ndjson), one object per line:
//	                                {"done": N, "total": M}    zero or more, bytes of segments checked
//	                                {"report": VerifyReport} last line on success
//	                                {"error": "…", "code": "…"} last line if verify failed midway
//	GET  /admin/v1/audit…           the audit stream (audit.go)
//	…    /admin/v1/users…           users, access keys, user policies (iam.go)
//	POST /admin/v1/lifecycle/run    LifecycleRun: a lifecycle pass now (lifecycle.go)
//	     ?bucket=NAME               only that bucket (default: every bucket)
//	…    /admin/v1/tier…            the remote tier: status, configure, test, move (tier.go)
//	     POST verify?remote=true    also reads back every tiered segment
//
// Every route is one row of the operation table (Ops, the admin rows of
// gate.Ops): method, route, operation name, IAM admin action, mutating,
// audited.
//
// # Authentication and authorisation
//
// Every request must be signed with AWS Signature Version 4 for the
// server's region and the service Service (aws-sdk-go-v2's aws/signer/v4
// does it). Root may call everything; an IAM user may call an operation
// when its identity policies allow (gate.Gate.Allowed, conditions such as
// aws:CurrentTime judged on the engine's clock; aws:username is set) the
// row's admin action
// "admin:<METHOD>/<route>" (e.g. "admin:GET/stats"; "admin:*" for all,
// "admin:GET/*" for read-only administration). The request body is ignored,
// except a policy document's and a tier configuration's (PUT tier; its
// secret key is redacted from the intent entry), whose SHA-256 must be signed: every other
// parameter is in the (signed) query. Errors are {"error": "message",
// "code": "Code"} with the status of adminErrorTable.
//
// # Audit
//
// The admin API writes to the engine's one audit stream through the
// request's gate scope (gate.Gate.Begin; Scope.Intent, Scope.Finish),
// always before the response is sent:
//
//   - A denied request (bad signature, unknown key, a policy that does not
//     allow the action) writes one entry, outcome "denied", whatever the
//     operation. Fields a client controls are truncated (maxAuditField).
//     Unauthenticated refusals are bounded per source by the gate's
//     anonymous limiter (summary entries beyond the burst).
//   - A mutating operation (users, keys, policies, compaction) first writes
//     an "intent" entry naming the principal, the operation and its target
//     (for a policy: its name, the SHA-256 of the document and the
//     document itself up to maxAuditPolicyDoc bytes). If that append
//     fails the request fails with 503 AuditUnavailable and nothing is
//     changed. After the change, a result entry (outcome "ok" or "error",
//     the status, intent_seq=N) is written before the answer; if that
//     append fails, the answer is 503 AuditUnavailable saying the change
//     was applied and which intent entry records it.
//   - Other audited operations (verify, audit reads and audit verify: who
//     read the audit log is itself audit-relevant) write their result entry
//     when the response starts; if it cannot be written the answer is 503
//     and nothing is served.
//
// Source is "admin:<client ip>", Principal the access key followed by
// " (user)" for IAM users, as in s3api's entries.
//
// Without an attached engine (during recovery) nothing can be audited:
// requests are refused with 503 NotReady, denials still with 403 (and
// logged).
//
// Compaction and verification run within the request: a client that goes
// away cancels them.
package adminapi
