package engine

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors returned by the engine. Callers match them with errors.Is;
// the S3 layer maps each to exactly one S3 error code in its error table.
var (
	// ErrNoSuchBucket: the bucket does not exist.
	ErrNoSuchBucket = errors.New("engine: no such bucket")
	// ErrBucketExists: CreateBucket on a name that already exists.
	ErrBucketExists = errors.New("engine: bucket already exists")
	// ErrBucketNotEmpty: DeleteBucket while versions, delete markers or
	// multipart uploads remain.
	ErrBucketNotEmpty = errors.New("engine: bucket not empty")
	// ErrInvalidBucketName: the bucket name is empty or malformed.
	ErrInvalidBucketName = errors.New("engine: invalid bucket name")
	// ErrInvalidBucketState: e.g. suspending versioning on an Object Lock
	// bucket, or enabling Object Lock on a bucket without versioning.
	ErrInvalidBucketState = errors.New("engine: invalid bucket state")
	// ErrNoSuchKey: no object under the key, or its latest version is a
	// delete marker (see DeleteMarkerError).
	ErrNoSuchKey = errors.New("engine: no such key")
	// ErrNoSuchVersion: the version id names no version of the key.
	ErrNoSuchVersion = errors.New("engine: no such version")
	// ErrInvalidVersionID: the version id is malformed.
	ErrInvalidVersionID = errors.New("engine: invalid version id")
	// ErrMethodNotAllowed: the operation targets a delete marker by version
	// id (GET/HEAD of a delete marker, retention on a delete marker).
	ErrMethodNotAllowed = errors.New("engine: method not allowed on a delete marker")
	// ErrObjectLocked: the operation would delete, overwrite or weaken the
	// protection of a version under retention or legal hold.
	ErrObjectLocked = errors.New("engine: object is protected by object lock")
	// ErrInvalidRetention: a retain-until date not in the future, an unknown
	// mode or a malformed default retention.
	ErrInvalidRetention = errors.New("engine: invalid retention")
	// ErrLockNotEnabled: a lock operation on a bucket without Object Lock.
	ErrLockNotEnabled = errors.New("engine: object lock is not enabled on the bucket")
	// ErrNoSuchLockConfiguration: no retention / legal hold has been set on
	// the version.
	ErrNoSuchLockConfiguration = errors.New("engine: no object lock configuration on the version")
	// ErrPreconditionFailed: If-Match / If-None-Match on a write did not hold.
	ErrPreconditionFailed = errors.New("engine: precondition failed")
	// ErrIncompleteBody: the body was shorter or longer than declared.
	ErrIncompleteBody = errors.New("engine: body length does not match the declared size")
	// ErrTooLarge: an object or part exceeds the configured maximum size.
	ErrTooLarge = errors.New("engine: entity too large")
	// ErrNoSuchUpload: the multipart upload does not exist (completed or
	// aborted).
	ErrNoSuchUpload = errors.New("engine: no such upload")
	// ErrInvalidPart: a part named in Complete was not uploaded or its ETag
	// differs.
	ErrInvalidPart = errors.New("engine: invalid part")
	// ErrInvalidPartOrder: parts in Complete are not in ascending order.
	ErrInvalidPartOrder = errors.New("engine: invalid part order")
	// ErrEntityTooSmall: a part other than the last is below the minimum
	// part size.
	ErrEntityTooSmall = errors.New("engine: part too small")
	// ErrInvalidArgument: any other malformed argument (part number range,
	// empty part list, max keys …).
	ErrInvalidArgument = errors.New("engine: invalid argument")
	// ErrClosed: the engine has been closed.
	ErrClosed = errors.New("engine: closed")
	// ErrFailed: an earlier write or fsync failed; the engine refuses
	// further mutations until it is reopened (recovery then restores the
	// last durable state).
	ErrFailed = errors.New("engine: failed after an I/O error; reopen to recover")
	// ErrAuditFailed: an audit entry could not be appended or synced. The
	// request it belonged to did not take effect, and the engine refuses
	// further mutations (Err wraps it) until it is reopened: nothing may
	// take effect unaudited.
	ErrAuditFailed = errors.New("engine: audit log failed; refusing mutations until restarted")
	// ErrFormatTooNew: the data directory was written by a newer format.
	ErrFormatTooNew = errors.New("engine: data directory has a newer format")
	// ErrCorrupt: the index disagrees with the log or segments.
	ErrCorrupt = errors.New("engine: corrupt")
	// ErrWALCorrupt: Open found damage in the write-ahead log that a torn
	// write cannot explain. The error also wraps the wal package's
	// *wal.CorruptError (file, offset, LSN, reason). Nothing was modified;
	// Recover with TruncateCorruptWAL (wormstore recover
	// --truncate-corrupt-wal) preserves the damaged files and cuts the log.
	ErrWALCorrupt = errors.New("engine: write-ahead log is corrupt")
	// ErrWALBehindIndex: the write-ahead log ends before an LSN known to
	// have been durable (the index's applied LSN, or the LSN recorded at
	// the last clean shutdown), so records may have been lost from it.
	// Returned wrapped in a *WALBehindError. Open refuses; Recover with
	// AcceptIndexAhead (wormstore recover --accept-index-ahead) rebuilds
	// the index from the log.
	ErrWALBehindIndex = errors.New("engine: write-ahead log ends before the last durable LSN")
)

// WALBehindError reports a write-ahead log that ends before an LSN that
// was known to be durable. It wraps ErrWALBehindIndex.
type WALBehindError struct {
	// Dir is the data directory.
	Dir string
	// WALLast is the last LSN of the (recovered) write-ahead log.
	WALLast uint64
	// IndexApplied is the last LSN the index has applied.
	IndexApplied uint64
	// CleanLSN is the LSN recorded durable at the last clean shutdown or
	// successful open (the WAL_END file), 0 if none.
	CleanLSN uint64
}

func (e *WALBehindError) Error() string {
	var why string
	switch {
	case e.CleanLSN > e.WALLast && e.IndexApplied > e.WALLast:
		why = fmt.Sprintf("the index has applied LSN %d and the last clean shutdown recorded LSN %d", e.IndexApplied, e.CleanLSN)
	case e.CleanLSN > e.WALLast:
		why = fmt.Sprintf("the last clean shutdown recorded LSN %d as durable", e.CleanLSN)
	default:
		why = fmt.Sprintf("the index has applied LSN %d", e.IndexApplied)
	}
	return fmt.Sprintf("%v: the write-ahead log ends at LSN %d but %s, so records LSN %d-%d may have been lost from the log "+
		"(cut or damaged files; or, only after a power loss, index writes of records that were never acknowledged); "+
		"refusing to open. Run `wormstore recover --data %s` to see what is wrong; "+
		"`wormstore recover --data %s --accept-index-ahead` rebuilds the index from the log, dropping LSNs %d-%d",
		ErrWALBehindIndex, e.WALLast, why, e.WALLast+1, max(e.IndexApplied, e.CleanLSN),
		e.Dir, e.Dir, e.WALLast+1, max(e.IndexApplied, e.CleanLSN))
}

// Unwrap returns ErrWALBehindIndex.
func (e *WALBehindError) Unwrap() error { return ErrWALBehindIndex }

// DeleteMarkerError is returned (wrapping ErrNoSuchKey or
// ErrMethodNotAllowed) when the target of a read is a delete marker, so the
// S3 layer can answer with x-amz-delete-marker and the marker's version id.
type DeleteMarkerError struct {
	Err       error
	VersionID string
	ModTime   time.Time
}

func (e *DeleteMarkerError) Error() string {
	return fmt.Sprintf("%v (delete marker %s)", e.Err, e.VersionID)
}

func (e *DeleteMarkerError) Unwrap() error { return e.Err }

// LockedError wraps ErrObjectLocked with the reason, in words a user can act
// on (e.g. "COMPLIANCE retention until 2027-01-10T00:00:00Z").
type LockedError struct {
	Reason string
}

func (e *LockedError) Error() string { return "engine: object is protected: " + e.Reason }

func (e *LockedError) Unwrap() error { return ErrObjectLocked }
