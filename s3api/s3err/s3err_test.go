package s3err_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api/s3err"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// TestFromError pins the one error table: every engine and sigv4 sentinel,
// wrapped as the packages wrap them, maps to its S3 code and status.
func TestFromError(t *testing.T) {
	tests := []struct {
		err    error
		code   s3err.Code
		status int
	}{
		{engine.ErrNoSuchBucket, "NoSuchBucket", 404},
		{engine.ErrNoSuchKey, "NoSuchKey", 404},
		{engine.ErrNoSuchVersion, "NoSuchVersion", 404},
		{engine.ErrNoSuchUpload, "NoSuchUpload", 404},
		{engine.ErrNoSuchLockConfiguration, "NoSuchObjectLockConfiguration", 404},
		{engine.ErrBucketExists, "BucketAlreadyOwnedByYou", 409},
		{engine.ErrBucketNotEmpty, "BucketNotEmpty", 409},
		{engine.ErrInvalidBucketState, "InvalidBucketState", 409},
		{engine.ErrInvalidBucketName, "InvalidBucketName", 400},
		{engine.ErrObjectLocked, "AccessDenied", 403},
		{&engine.LockedError{Reason: "legal hold is ON"}, "AccessDenied", 403},
		{engine.ErrInvalidRetention, "InvalidArgument", 400},
		{engine.ErrLockNotEnabled, "InvalidRequest", 400},
		{engine.ErrInvalidVersionID, "InvalidArgument", 400},
		{engine.ErrInvalidArgument, "InvalidArgument", 400},
		{engine.ErrMethodNotAllowed, "MethodNotAllowed", 405},
		{&engine.DeleteMarkerError{Err: engine.ErrMethodNotAllowed}, "MethodNotAllowed", 405},
		{&engine.DeleteMarkerError{Err: engine.ErrNoSuchKey}, "NoSuchKey", 404},
		{engine.ErrPreconditionFailed, "PreconditionFailed", 412},
		{engine.ErrIncompleteBody, "IncompleteBody", 400},
		{engine.ErrTooLarge, "EntityTooLarge", 400},
		{engine.ErrEntityTooSmall, "EntityTooSmall", 400},
		{engine.ErrInvalidPart, "InvalidPart", 400},
		{engine.ErrInvalidPartOrder, "InvalidPartOrder", 400},
		{engine.ErrClosed, "ServiceUnavailable", 503},
		{engine.ErrFailed, "ServiceUnavailable", 503},
		{fmt.Errorf("%w: %w", engine.ErrFailed, syscall.ENOSPC), "InsufficientStorage", 507},
		{&fsError{syscall.ENOSPC}, "InsufficientStorage", 507},
		{engine.ErrCorrupt, "InternalError", 500},
		{engine.ErrFormatTooNew, "InternalError", 500},
		{errors.New("boom"), "InternalError", 500},

		{sigv4.ErrMissingAuth, "AccessDenied", 403},
		{sigv4.ErrUnsupportedAuth, "InvalidRequest", 400},
		{sigv4.ErrMultipleAuth, "InvalidArgument", 400},
		{sigv4.ErrAuthorizationHeaderMalformed, "AuthorizationHeaderMalformed", 400},
		{sigv4.ErrAuthorizationQueryParametersError, "AuthorizationQueryParametersError", 400},
		{sigv4.ErrMissingDate, "AccessDenied", 403},
		{sigv4.ErrHeadersNotSigned, "AccessDenied", 403},
		{sigv4.ErrInvalidAccessKeyID, "InvalidAccessKeyId", 403},
		{&sigv4.AccessKeyError{AccessKey: "AK"}, "InvalidAccessKeyId", 403},
		{fmt.Errorf("%w: %w: x", sigv4.ErrMalformedTrailer, sigv4.ErrInvalidTrailer), "MalformedTrailerError", 400},
		{sigv4.ErrPostAuth, "InvalidArgument", 400},
		{sigv4.ErrSignatureDoesNotMatch, "SignatureDoesNotMatch", 403},
		{&sigv4.SignatureError{}, "SignatureDoesNotMatch", 403},
		{sigv4.ErrRequestTimeTooSkewed, "RequestTimeTooSkewed", 403},
		{sigv4.ErrRequestExpired, "AccessDenied", 403},
		{sigv4.ErrMissingContentSHA256, "InvalidRequest", 400},
		{sigv4.ErrInvalidContentSHA256, "InvalidArgument", 400},
		{sigv4.ErrUnsupportedPayload, "InvalidRequest", 400},
		{sigv4.ErrContentSHA256Mismatch, "XAmzContentSHA256Mismatch", 400},
		{sigv4.ErrMissingDecodedContentLength, "MissingContentLength", 411},
		{sigv4.ErrInvalidDecodedContentLength, "InvalidArgument", 400},
		{sigv4.ErrIncompleteBody, "IncompleteBody", 400},
		{sigv4.ErrMalformedChunk, "InvalidRequest", 400},
		{sigv4.ErrInvalidDigest, "InvalidDigest", 400},
		{sigv4.ErrBadDigest, "BadDigest", 400},
		{sigv4.ErrInvalidChecksum, "InvalidRequest", 400},
		{sigv4.ErrChecksumConflict, "InvalidRequest", 400},
		{sigv4.ErrInvalidTrailer, "InvalidRequest", 400},
		{sigv4.ErrMissingTrailer, "InvalidRequest", 400},
		{sigv4.ErrNotFinished, "InternalError", 500},

		{io.ErrUnexpectedEOF, "IncompleteBody", 400},
		{context.Canceled, "RequestTimeout", 400},
		{s3err.New(s3err.NotImplemented, ""), "NotImplemented", 501},
		{fmt.Errorf("wrapped: %w", s3err.New(s3err.InvalidRange, "")), "InvalidRange", 416},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%T %v", tc.err, tc.err), func(t *testing.T) {
			wrapped := fmt.Errorf("context: %w", tc.err)
			se := s3err.FromError(wrapped)
			require.Equal(t, tc.code, se.Code, "got %s, want %s", se.Code, tc.code)
			require.Equal(t, tc.status, se.HTTPStatus(), "got %d, want %d", se.HTTPStatus(), tc.status)
			require.NotEmpty(t, se.Message)
			require.NotContains(t, se.Message, "engine: ")
			require.NotContains(t, se.Message, "sigv4: ")
		})
	}
	require.Nil(t, s3err.FromError(nil))
}

// fsError wraps an errno the way os.PathError does.
type fsError struct{ errno syscall.Errno }

func (e *fsError) Error() string { return "write /data/seg: " + e.errno.Error() }
func (e *fsError) Unwrap() error { return e.errno }

// TestCodes checks that every code has a status and a message.
func TestCodes(t *testing.T) {
	for _, c := range []s3err.Code{s3err.AccessDenied, s3err.NoSuchKey, s3err.NotModified, s3err.InvalidRange, s3err.MissingContentLength,
		s3err.InsufficientStorage, s3err.ObjectLockConfigurationNotFoundErr, s3err.NotImplemented} {
		require.NotEqual(t, http.StatusInternalServerError, c.Status(), c)
		require.NotEqual(t, s3err.InternalError.Message(), c.Message(), c)
	}
	require.Equal(t, 500, s3err.Code("Unknown").Status())
}
