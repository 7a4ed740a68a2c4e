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
)

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
