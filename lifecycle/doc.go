// Package lifecycle applies S3 bucket lifecycle rules without ever
// removing a locked version.
//
// The S3 layer (s3api/lifecycle.go) validates a
// PutBucketLifecycleConfiguration body as AWS does and stores it, as a
// Configuration encoded by Encode (JSON, format version FormatVersion), in
// the bucket's engine.ConfigLifecycle document. Decode refuses a newer
// version (ErrFormatTooNew) and anything malformed (ErrCorrupt).
//
// Configuration.Evaluate is the pure rule logic: given one key's versions,
// newest first, and a time, it returns the actions due (ExpireCurrent,
// RemoveNoncurrent, RemoveDeleteMarker); AbortDue does the same for a
// multipart upload. Ages are AWS's: N days after creation (or, for a
// noncurrent version, after its successor's creation), rounded up to the
// next midnight UTC (ExpiryTime).
//
// Worker runs passes (on a timer, Run, and on demand, RunPass): it lists
// every version of every bucket with a configuration, evaluates the rules
// on the engine's clock (engine.Engine.Now, the clock retention is judged
// on) and carries out each action through engine.Engine.LifecycleRemove or
// AbortMultipartUpload. The engine re-checks each decision under its lock
// and applies the lock rules with no governance bypass, so a version under
// retention or legal hold is never removed: the worker counts it
// (Stats.SkippedLocked) and tries again on every later pass. Each action is
// audited by the engine in its own commit through a gate scope whose source
// and principal are "lifecycle" (gate.Gate.BeginLifecycle); each pass that
// found a configuration writes one summary entry (gate.OpLifecyclePass).
//
// Imports: lifecycle imports engine and gate; cmd/wormstore, s3api and
// adminapi import lifecycle.
package lifecycle
