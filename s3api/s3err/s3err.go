package s3err

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/iam"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// Code is an S3 error code, as it appears in <Error><Code>.
type Code string

// The S3 error codes wormstore answers with.
const (
	AccessDenied                        Code = "AccessDenied"
	AuthorizationHeaderMalformed        Code = "AuthorizationHeaderMalformed"
	AuthorizationQueryParametersError   Code = "AuthorizationQueryParametersError"
	BadDigest                           Code = "BadDigest"
	BucketAlreadyOwnedByYou             Code = "BucketAlreadyOwnedByYou"
	BucketNotEmpty                      Code = "BucketNotEmpty"
	EntityTooLarge                      Code = "EntityTooLarge"
	EntityTooSmall                      Code = "EntityTooSmall"
	IllegalLocationConstraintException  Code = "IllegalLocationConstraintException"
	IncompleteBody                      Code = "IncompleteBody"
	InsufficientStorage                 Code = "InsufficientStorage"
	InternalError                       Code = "InternalError"
	InvalidAccessKeyID                  Code = "InvalidAccessKeyId"
	InvalidArgument                     Code = "InvalidArgument"
	InvalidBucketName                   Code = "InvalidBucketName"
	InvalidBucketState                  Code = "InvalidBucketState"
	InvalidDigest                       Code = "InvalidDigest"
	InvalidLocationConstraint           Code = "InvalidLocationConstraint"
	InvalidPart                         Code = "InvalidPart"
	InvalidPartNumber                   Code = "InvalidPartNumber"
	InvalidPartOrder                    Code = "InvalidPartOrder"
	InvalidRange                        Code = "InvalidRange"
	InvalidRequest                      Code = "InvalidRequest"
	InvalidStorageClass                 Code = "InvalidStorageClass"
	InvalidURI                          Code = "InvalidURI"
	KeyTooLongError                     Code = "KeyTooLongError"
	MalformedXML                        Code = "MalformedXML"
	MaxMessageLengthExceeded            Code = "MaxMessageLengthExceeded"
	MetadataTooLarge                    Code = "MetadataTooLarge"
	MethodNotAllowed                    Code = "MethodNotAllowed"
	MissingContentLength                Code = "MissingContentLength"
	MissingRequestBodyError             Code = "MissingRequestBodyError"
	NoSuchBucket                        Code = "NoSuchBucket"
	NoSuchKey                           Code = "NoSuchKey"
	NoSuchObjectLockConfiguration       Code = "NoSuchObjectLockConfiguration"
	NoSuchUpload                        Code = "NoSuchUpload"
	NoSuchVersion                       Code = "NoSuchVersion"
	NotImplemented                      Code = "NotImplemented"
	NotModified                         Code = "NotModified"
	ObjectLockConfigurationNotFoundErr  Code = "ObjectLockConfigurationNotFoundError"
	PreconditionFailed                  Code = "PreconditionFailed"
	RequestTimeTooSkewed                Code = "RequestTimeTooSkewed"
	ServiceUnavailable                  Code = "ServiceUnavailable"
	SignatureDoesNotMatch               Code = "SignatureDoesNotMatch"
	XAmzContentSHA256Mismatch           Code = "XAmzContentSHA256Mismatch"
	InvalidObjectState                  Code = "InvalidObjectState"
	RequestTimeout                      Code = "RequestTimeout"
	UnexpectedContent                   Code = "UnexpectedContent"
	InvalidTag                          Code = "InvalidTag"
	MissingSecurityHeader               Code = "MissingSecurityHeader"
	InvalidEncryptionAlgorithmError     Code = "InvalidEncryptionAlgorithmError"
	OperationAborted                    Code = "OperationAborted"
	MalformedPolicy                     Code = "MalformedPolicy"
	NoSuchBucketPolicy                  Code = "NoSuchBucketPolicy"
	NoSuchLifecycleConfiguration        Code = "NoSuchLifecycleConfiguration"
	InvalidRedirectLocation             Code = "InvalidRedirectLocation"
	MalformedTrailerError               Code = "MalformedTrailerError"
	RequestHeaderSectionTooLarge        Code = "RequestHeaderSectionTooLarge"
	InvalidPolicyDocument               Code = "InvalidPolicyDocument"
	MalformedPOSTRequest                Code = "MalformedPOSTRequest"
	IncorrectNumberOfFilesInPostRequest Code = "IncorrectNumberOfFilesInPostRequest"
	InvalidObjectName                   Code = "InvalidObjectName"
	MaxPostPreDataLengthExceededError   Code = "MaxPostPreDataLengthExceededError"
)

// Codes of bucket configuration (tagging, ACLs, ownership, CORS).
const (
	AccessForbidden                     Code = "AccessForbidden"
	AccessControlListNotSupported       Code = "AccessControlListNotSupported"
	BadRequest                          Code = "BadRequest"
	InvalidBucketAclWithObjectOwnership Code = "InvalidBucketAclWithObjectOwnership"
	NoSuchCORSConfiguration             Code = "NoSuchCORSConfiguration"
	NoSuchTagSet                        Code = "NoSuchTagSet"
	OwnershipControlsNotFoundError      Code = "OwnershipControlsNotFoundError"
)

// Status returns the HTTP status AWS answers with for c; 500 for a code it
// does not know.
func (c Code) Status() int {
	switch c {
	case NotModified:
		return http.StatusNotModified
	case AccessControlListNotSupported, BadRequest, InvalidBucketAclWithObjectOwnership:
		return http.StatusBadRequest
	case AccessForbidden:
		return http.StatusForbidden
	case NoSuchCORSConfiguration, NoSuchTagSet, OwnershipControlsNotFoundError:
		return http.StatusNotFound
	case AuthorizationHeaderMalformed, AuthorizationQueryParametersError, BadDigest,
		EntityTooLarge, EntityTooSmall, IllegalLocationConstraintException, IncompleteBody,
		InvalidArgument, InvalidBucketName, InvalidDigest, InvalidLocationConstraint,
		InvalidPart, InvalidPartOrder, InvalidRequest, InvalidStorageClass, InvalidURI,
		KeyTooLongError, MalformedXML, MaxMessageLengthExceeded, MetadataTooLarge,
		MissingRequestBodyError, XAmzContentSHA256Mismatch, RequestTimeout, UnexpectedContent,
		InvalidTag, MissingSecurityHeader, InvalidEncryptionAlgorithmError, MalformedPolicy,
		InvalidRedirectLocation, MalformedTrailerError, RequestHeaderSectionTooLarge, InvalidPolicyDocument,
		MalformedPOSTRequest, IncorrectNumberOfFilesInPostRequest, InvalidObjectName,
		MaxPostPreDataLengthExceededError:
		return http.StatusBadRequest
	case AccessDenied, InvalidAccessKeyID, RequestTimeTooSkewed, SignatureDoesNotMatch, InvalidObjectState:
		return http.StatusForbidden
	case NoSuchBucket, NoSuchKey, NoSuchObjectLockConfiguration, NoSuchUpload, NoSuchVersion, NoSuchBucketPolicy,
		ObjectLockConfigurationNotFoundErr, NoSuchLifecycleConfiguration:
		return http.StatusNotFound
	case MethodNotAllowed:
		return http.StatusMethodNotAllowed
	case BucketAlreadyOwnedByYou, BucketNotEmpty, InvalidBucketState, OperationAborted:
		return http.StatusConflict
	case MissingContentLength:
		return http.StatusLengthRequired
	case PreconditionFailed:
		return http.StatusPreconditionFailed
	case InvalidRange, InvalidPartNumber:
		return http.StatusRequestedRangeNotSatisfiable
	case NotImplemented:
		return http.StatusNotImplemented
	case ServiceUnavailable:
		return http.StatusServiceUnavailable
	case InsufficientStorage:
		return http.StatusInsufficientStorage
	}
	return http.StatusInternalServerError
}

// Message returns AWS's default message for c.
func (c Code) Message() string {
	switch c {
	case AccessDenied:
		return "Access Denied"
	case AccessForbidden:
		return "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."
	case AccessControlListNotSupported:
		return "The bucket does not allow ACLs"
	case BadRequest:
		return "Bad Request"
	case InvalidBucketAclWithObjectOwnership:
		return "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"
	case NoSuchCORSConfiguration:
		return "The CORS configuration does not exist"
	case NoSuchTagSet:
		return "The TagSet does not exist"
	case OwnershipControlsNotFoundError:
		return "The bucket ownership controls were not found"
	case AuthorizationHeaderMalformed:
		return "The authorization header is malformed."
	case AuthorizationQueryParametersError:
		return "Error parsing the X-Amz-Credential parameter or another query authentication parameter."
	case BadDigest:
		return "The Content-MD5 or checksum you specified did not match what we received."
	case BucketAlreadyOwnedByYou:
		return "Your previous request to create the named bucket succeeded and you already own it."
	case BucketNotEmpty:
		return "The bucket you tried to delete is not empty"
	case EntityTooLarge:
		return "Your proposed upload exceeds the maximum allowed size"
	case EntityTooSmall:
		return "Your proposed upload is smaller than the minimum allowed object size."
	case IllegalLocationConstraintException:
		return "The location constraint is incompatible for the region specific endpoint this request was sent to."
	case IncompleteBody:
		return "You did not provide the number of bytes specified by the Content-Length HTTP header."
	case InsufficientStorage:
		return "The server has no space left to store this request."
	case InvalidAccessKeyID:
		return "The AWS Access Key Id you provided does not exist in our records."
	case InvalidArgument:
		return "Invalid Argument"
	case InvalidBucketName:
		return "The specified bucket is not valid."
	case InvalidBucketState:
		return "The request is not valid with the current state of the bucket."
	case InvalidDigest:
		return "The Content-MD5 you specified is not valid."
	case InvalidLocationConstraint:
		return "The specified location-constraint is not valid"
	case InvalidPart:
		return "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."
	case InvalidPartNumber:
		return "The requested partnumber is not satisfiable"
	case InvalidPartOrder:
		return "The list of parts was not in ascending order. Parts must be ordered by part number."
	case InvalidRange:
		return "The requested range is not satisfiable"
	case InvalidRequest:
		return "Invalid Request"
	case InvalidStorageClass:
		return "The storage class you specified is not valid"
	case InvalidURI:
		return "Couldn't parse the specified URI."
	case KeyTooLongError:
		return "Your key is too long"
	case MalformedXML:
		return "The XML you provided was not well-formed or did not validate against our published schema"
	case MaxMessageLengthExceeded:
		return "Your request was too big."
	case MetadataTooLarge:
		return "Your metadata headers exceed the maximum allowed metadata size"
	case MethodNotAllowed:
		return "The specified method is not allowed against this resource."
	case MissingContentLength:
		return "You must provide the Content-Length HTTP header."
	case MissingRequestBodyError:
		return "Request Body is empty"
	case NoSuchBucket:
		return "The specified bucket does not exist"
	case NoSuchKey:
		return "The specified key does not exist."
	case NoSuchObjectLockConfiguration:
		return "The specified object does not have a ObjectLock configuration"
	case NoSuchUpload:
		return "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
	case NoSuchVersion:
		return "The specified version does not exist."
	case NotImplemented:
		return "A header or query you provided implies functionality that is not implemented."
	case NotModified:
		return "Not Modified"
	case ObjectLockConfigurationNotFoundErr:
		return "Object Lock configuration does not exist for this bucket"
	case PreconditionFailed:
		return "At least one of the pre-conditions you specified did not hold"
	case RequestTimeTooSkewed:
		return "The difference between the request time and the current time is too large."
	case ServiceUnavailable:
		return "Please reduce your request rate."
	case SignatureDoesNotMatch:
		return "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	case XAmzContentSHA256Mismatch:
		return "The provided 'x-amz-content-sha256' header does not match what was computed."
	case InvalidObjectState:
		return "The operation is not valid for the object's state."
	case RequestTimeout:
		return "Your socket connection to the server was not read from or written to within the timeout period."
	case UnexpectedContent:
		return "This request does not support content"
	case InvalidTag:
		return "The tag provided was not a valid tag."
	case MissingSecurityHeader:
		return "Your request is missing a required header."
	case InvalidEncryptionAlgorithmError:
		return "The encryption request you specified is not valid."
	case OperationAborted:
		return "A conflicting conditional operation is currently in progress against this resource."
	case MalformedPolicy:
		return "Policies must be valid JSON and the first byte must be '{'"
	case NoSuchBucketPolicy:
		return "The bucket policy does not exist"
	case NoSuchLifecycleConfiguration:
		return "The lifecycle configuration does not exist"
	case InvalidRedirectLocation:
		return "The website redirect location must have a prefix of 'http://' or 'https://' or '/'."
	case MalformedTrailerError:
		return "The request contained trailing data that was not well-formed or did not conform to our published schema."
	case RequestHeaderSectionTooLarge:
		return "Your request header section exceeds the maximum allowed size."
	case InvalidPolicyDocument:
		return "The content of the form does not meet the conditions specified in the policy document."
	case MalformedPOSTRequest:
		return "The body of your POST request is not well-formed multipart/form-data."
	case IncorrectNumberOfFilesInPostRequest:
		return "POST requires exactly one file upload per request."
	case InvalidObjectName:
		return "The specified object name is not valid."
	case MaxPostPreDataLengthExceededError:
		return "Your POST request fields preceding the upload file were too large."
	}
	return "We encountered an internal error. Please try again."
}

// Error is an S3 error answer: code, status, message, and the extra
// elements and headers some codes carry. It wraps the error it came from
// (Err, possibly nil) for logging.
type Error struct {
	Code    Code
	Message string
	// Status overrides Code.Status() when non-zero.
	Status int
	// Fields are extra elements of the error document, in order (e.g.
	// Key, VersionId, BucketName, StringToSign).
	Fields [][2]string
	// Header holds response headers to send with the error (e.g.
	// x-amz-delete-marker).
	Header http.Header
	// Err is the underlying error, logged for 5xx answers.
	Err error
}

// New returns an Error with code c and message msg (c.Message() if empty).
func New(c Code, msg string) *Error {
	if msg == "" {
		msg = c.Message()
	}
	return &Error{Code: c, Message: msg}
}

// Errorf returns an Error with code c and a formatted message.
func Errorf(c Code, format string, args ...any) *Error {
	return &Error{Code: c, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus returns the status to answer with.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	return e.Code.Status()
}

// With appends an extra element to the error document and returns e.
func (e *Error) With(name, value string) *Error {
	e.Fields = append(e.Fields, [2]string{name, value})
	return e
}

// WithHeader sets a response header and returns e.
func (e *Error) WithHeader(name, value string) *Error {
	if e.Header == nil {
		e.Header = http.Header{}
	}
	e.Header.Set(name, value)
	return e
}

// mapping is one row of the error table.
type mapping struct {
	err    error
	code   Code
	detail bool // use the error's text as the message
}

// table is the one mapping from sentinel errors to S3 codes. It is built
// per call (no mutable package state); the lookup is a short linear scan.
func table() []mapping {
	return []mapping{
		// An audit failure first, even when the audit disk is full: the
		// request was not carried out because it could not be recorded.
		{engine.ErrAuditFailed, ServiceUnavailable, false},
		// Disk full next: the engine may wrap it in ErrFailed.
		{syscall.ENOSPC, InsufficientStorage, false},
		// The remote tier did not take a lock change (or serve tiered
		// data) after retries: nothing changed locally; retry later.
		{engine.ErrTierUnavailable, ServiceUnavailable, false},

		{engine.ErrNoSuchBucket, NoSuchBucket, false},
		{engine.ErrNoSuchKey, NoSuchKey, false},
		{engine.ErrNoSuchVersion, NoSuchVersion, false},
		{engine.ErrNoSuchUpload, NoSuchUpload, false},
		{engine.ErrNoSuchLockConfiguration, NoSuchObjectLockConfiguration, false},
		{engine.ErrBucketExists, BucketAlreadyOwnedByYou, false},
		{engine.ErrBucketNotEmpty, BucketNotEmpty, false},
		{engine.ErrInvalidBucketState, InvalidBucketState, true},
		{engine.ErrInvalidBucketName, InvalidBucketName, false},
		{engine.ErrObjectLocked, AccessDenied, true},
		{engine.ErrInvalidRetention, InvalidArgument, true},
		{engine.ErrLockNotEnabled, InvalidRequest, false},
		{engine.ErrInvalidVersionID, InvalidArgument, true},
		{engine.ErrInvalidArgument, InvalidArgument, true},
		{engine.ErrMethodNotAllowed, MethodNotAllowed, false},
		{engine.ErrPreconditionFailed, PreconditionFailed, false},
		{engine.ErrIncompleteBody, IncompleteBody, false},
		{engine.ErrTooLarge, EntityTooLarge, false},
		{engine.ErrEntityTooSmall, EntityTooSmall, false},
		{engine.ErrInvalidPart, InvalidPart, false},
		{engine.ErrInvalidPartOrder, InvalidPartOrder, false},
		{engine.ErrClosed, ServiceUnavailable, false},
		{engine.ErrFailed, ServiceUnavailable, false},

		{iam.ErrMalformedPolicy, MalformedPolicy, true},

		{sigv4.ErrMissingAuth, AccessDenied, false},
		{sigv4.ErrUnsupportedAuth, InvalidRequest, true},
		{sigv4.ErrMultipleAuth, InvalidArgument, true},
		{sigv4.ErrAuthorizationHeaderMalformed, AuthorizationHeaderMalformed, true},
		{sigv4.ErrAuthorizationQueryParametersError, AuthorizationQueryParametersError, true},
		{sigv4.ErrMissingDate, AccessDenied, true},
		{sigv4.ErrHeadersNotSigned, AccessDenied, true},
		{sigv4.ErrInvalidAccessKeyID, InvalidAccessKeyID, false},
		{sigv4.ErrSignatureDoesNotMatch, SignatureDoesNotMatch, false},
		{sigv4.ErrRequestTimeTooSkewed, RequestTimeTooSkewed, false},
		{sigv4.ErrRequestExpired, AccessDenied, true},
		{sigv4.ErrMissingContentSHA256, InvalidRequest, true},
		{sigv4.ErrInvalidContentSHA256, InvalidArgument, true},
		{sigv4.ErrUnsupportedPayload, InvalidRequest, true},
		{sigv4.ErrContentSHA256Mismatch, XAmzContentSHA256Mismatch, false},
		{sigv4.ErrMissingDecodedContentLength, MissingContentLength, true},
		{sigv4.ErrInvalidDecodedContentLength, InvalidArgument, true},
		{sigv4.ErrIncompleteBody, IncompleteBody, true},
		{sigv4.ErrMalformedChunk, InvalidRequest, true},
		{sigv4.ErrInvalidDigest, InvalidDigest, false},
		{sigv4.ErrBadDigest, BadDigest, true},
		{sigv4.ErrInvalidChecksum, InvalidRequest, true},
		{sigv4.ErrChecksumConflict, InvalidRequest, true},
		{sigv4.ErrMalformedTrailer, MalformedTrailerError, false},
		{sigv4.ErrPostAuth, InvalidArgument, true},
		{sigv4.ErrInvalidTrailer, InvalidRequest, true},
		{sigv4.ErrMissingTrailer, InvalidRequest, true},
		{sigv4.ErrNotFinished, InternalError, false},

		// The client went away or gave up mid-body.
		{io.ErrUnexpectedEOF, IncompleteBody, false},
		{context.Canceled, RequestTimeout, false},
		{context.DeadlineExceeded, RequestTimeout, false},
	}
}

// FromError maps err to the S3 error to answer with. An *Error is returned
// as is; sentinel errors of the engine and sigv4 are mapped by the table;
// anything else becomes InternalError (the caller logs Err).
func FromError(err error) *Error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	for _, m := range table() {
		if errors.Is(err, m.err) {
			e := &Error{Code: m.code, Message: m.code.Message(), Err: err}
			if m.detail {
				e.Message = detailMessage(m.code, err)
			}
			var le *engine.LockedError
			if errors.As(err, &le) {
				e.Message = "Access Denied because object protected by object lock: " + le.Reason
			}
			var ake *sigv4.AccessKeyError
			if errors.As(err, &ake) {
				e.With("AWSAccessKeyId", ake.AccessKey)
			}
			var sig *sigv4.SignatureError
			if errors.As(err, &sig) {
				// What AWS returns so that clients can debug their signer.
				e.With("AWSAccessKeyId", sig.AccessKey).With("StringToSign", sig.StringToSign).
					With("SignatureProvided", sig.SignatureProvided).With("CanonicalRequest", sig.CanonicalRequest)
			}
			return e
		}
	}
	return &Error{Code: InternalError, Message: InternalError.Message(), Err: err}
}

// detailMessage is the error text without package prefixes, for codes whose
// default message does not tell the client what to fix.
func detailMessage(c Code, err error) string {
	msg := strings.ReplaceAll(err.Error(), "engine: ", "")
	msg = strings.ReplaceAll(msg, "sigv4: ", "")
	var me *iam.MalformedError
	if errors.As(err, &me) {
		msg = me.Msg
	}
	if msg == "" {
		return c.Message()
	}
	return msg
}

// IsServerError reports whether e is a 5xx answer (logged at error level).
func (e *Error) IsServerError() bool { return e.HTTPStatus() >= 500 }
