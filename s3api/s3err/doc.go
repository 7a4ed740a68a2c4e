// Package s3err is the S3 error vocabulary of wormstore: every S3 error code
// the server answers with, its HTTP status and default message, and the one
// table that maps the engine's and the SigV4 verifier's sentinel errors to
// those codes. Nothing else in the server decides a status code for an
// error.
//
// The mapping (see FromError) is:
//
//	engine.ErrNoSuchBucket            NoSuchBucket                        404
//	engine.ErrNoSuchKey               NoSuchKey                           404
//	engine.ErrNoSuchVersion           NoSuchVersion                       404
//	engine.ErrNoSuchUpload            NoSuchUpload                        404
//	engine.ErrNoSuchLockConfiguration NoSuchObjectLockConfiguration       404
//	engine.ErrBucketExists            BucketAlreadyOwnedByYou             409
//	engine.ErrBucketNotEmpty          BucketNotEmpty                      409
//	engine.ErrInvalidBucketState      InvalidBucketState                  409
//	engine.ErrInvalidBucketName       InvalidBucketName                   400
//	engine.ErrObjectLocked            AccessDenied                        403
//	engine.ErrInvalidRetention        InvalidArgument                     400
//	engine.ErrLockNotEnabled          InvalidRequest                      400
//	engine.ErrInvalidVersionID        InvalidArgument                     400
//	engine.ErrInvalidArgument         InvalidArgument                     400
//	engine.ErrMethodNotAllowed        MethodNotAllowed                    405
//	engine.ErrPreconditionFailed      PreconditionFailed                  412
//	engine.ErrIncompleteBody          IncompleteBody                      400
//	engine.ErrTooLarge                EntityTooLarge                      400
//	engine.ErrEntityTooSmall          EntityTooSmall                      400
//	engine.ErrInvalidPart             InvalidPart                         400
//	engine.ErrInvalidPartOrder        InvalidPartOrder                    400
//	engine.ErrClosed, ErrFailed       ServiceUnavailable                  503
//	syscall.ENOSPC (disk full)        InsufficientStorage                 507
//	sigv4 sentinels                   as documented on each (403 / 400 / 411)
//	io.ErrUnexpectedEOF (body cut)    IncompleteBody                      400
//	context.Canceled / Deadline       RequestTimeout                      400
//	anything else (incl. ErrCorrupt)  InternalError                       500
//
// Disk full has no AWS code. We answer 507 InsufficientStorage (RFC 4918),
// as MinIO does with its own code: unlike 503 SlowDown, SDKs do not retry a
// 507 in a tight loop, and the code tells the operator exactly what is wrong.
package s3err
