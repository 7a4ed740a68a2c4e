// Package gate is the one door every entry point goes through: the S3 API
// (package s3api), the web console (package console) and the admin API
// (package adminapi). The server makes one Gate and hands it to all three.
// It holds the three decisions the doors used to make each on their own,
// and that disagreed:
//
//   - Ops: one table with one row per operation of every door — its IAM
//     action, the action when a version is named, whether it mutates,
//     whether it is lock-related, whether it is audited. The admin API's
//     rows are in it too; their actions are "admin:<METHOD>/<route>"
//     (AdminAction), from which package adminapi routes.
//   - Gate.Allowed: one authorization call. It evaluates the caller's
//     identity policies and the bucket policy with the condition keys
//     every request has (aws:CurrentTime, aws:EpochTime and the
//     remaining-retention days of LockCond judged on the engine's clock,
//     engine.Now, the same clock the lock rules use), plus the
//     door's own keys. Gate.MayBypass is the one GOVERNANCE-bypass rule:
//     the header is honoured only with s3:BypassGovernanceRetention;
//     without it the lock applies as if no bypass was asked for (the
//     engine then refuses a delete or shortening of a GOVERNANCE version:
//     AccessDenied), as AWS does.
//   - Scope: one audit writer per request. The door opens a Scope with
//     Gate.Begin, passes Scope.Context to the engine, so every mutation is
//     recorded by the engine from what it actually did (outcome, version
//     id, old and new lock state, bypass exercised), in the same group
//     commit as the mutation and before it can take effect; the door
//     records per-item refusals with Scope.Record and calls Scope.Finish
//     before it sends the response: denied and failed requests, and audited
//     operations that changed nothing, get their entry written, synced and
//     anchored in the WAL before the client hears the answer. When the
//     entry cannot be written Finish returns an error wrapping
//     engine.ErrAuditFailed and the door answers 503 instead.
//     The admin API records its operations (identity changes,
//     compactions, checkpoints, audit reads) as a pair instead: an
//     intent entry with Scope.Intent before a change is made, and the
//     result entry, with the door's detail (Result.Detail), from Finish.
//     It does not pass Scope.Context to the engine, so Finish is not
//     suppressed by entries the engine would derive from, say, a
//     compaction's records.
//
// The lifecycle worker (package lifecycle) is a door without a network:
// Gate.BeginLifecycle opens the scope of each of its actions, with source
// and principal "lifecycle", so the engine audits every lifecycle removal
// like any request's. Its operations (lifecycle:…) have no IAM action; its
// caller is not authenticated, so it can be allowed nothing, bypass
// included — and the engine's LifecycleRemove takes no bypass at all.
//
// Unauthenticated requests, at any of the doors, are the only ones anyone
// can send, so what they may write is bounded (one limiter per Gate, shared
// by the doors): every field is truncated by the engine (see
// engine.AuditMaxKey), and per source address only the first
// Config.AnonymousBurst refusals per Config.AnonymousInterval are written
// one by one; the rest are counted into one AnonymousDenialsSummarized
// entry, written by the next unauthenticated refusal after the interval
// (or by Flush at shutdown).
//
// Imports: gate imports engine, iam and identity; the doors import gate.
package gate
