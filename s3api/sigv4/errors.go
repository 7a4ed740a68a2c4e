package sigv4

import (
	"errors"
	"fmt"
)

// Errors returned by Verify, Request.Body, the Reader it returns, and the
// checksum helpers. Match them with errors.Is: most are returned wrapped
// with detail ("sigv4: signature does not match: chunk 3"). Each comment
// names the S3 error code the s3api layer answers with; the HTTP status
// follows from the code (403 for the authentication failures, 400 for the
// rest unless noted).
var (
	// ErrMissingAuth means the request carries neither an Authorization
	// header nor presigned query parameters (an anonymous request).
	// S3 code: AccessDenied (403).
	ErrMissingAuth = errors.New("sigv4: request is not signed")

	// ErrUnsupportedAuth means the request uses an authentication scheme
	// other than AWS4-HMAC-SHA256 (SigV2 "AWS ak:sig", SigV4a, POST policy
	// forms are not handled here).
	// S3 code: InvalidRequest ("The authorization mechanism you have provided
	// is not supported. Please use AWS4-HMAC-SHA256.").
	ErrUnsupportedAuth = errors.New("sigv4: unsupported authorization mechanism")

	// ErrMultipleAuth means the request carries both an Authorization header
	// and presigned query parameters.
	// S3 code: InvalidArgument ("Only one auth mechanism allowed").
	ErrMultipleAuth = errors.New("sigv4: only one auth mechanism allowed")

	// ErrAuthorizationHeaderMalformed means the Authorization header cannot be
	// parsed, or its credential scope is wrong: bad access-key/date/region/
	// service/aws4_request shape, a scope date that is not the day of
	// X-Amz-Date, a region other than the configured one, a service other
	// than the configured one, or a SignedHeaders list without host.
	// S3 code: AuthorizationHeaderMalformed.
	ErrAuthorizationHeaderMalformed = errors.New("sigv4: authorization header malformed")

	// ErrAuthorizationQueryParametersError is the presigned-URL twin of
	// ErrAuthorizationHeaderMalformed: a missing or malformed X-Amz-*
	// parameter, an X-Amz-Expires outside 1..604800, or a bad credential
	// scope.
	// S3 code: AuthorizationQueryParametersError.
	ErrAuthorizationQueryParametersError = errors.New("sigv4: authorization query parameters error")

	// ErrMissingDate means neither X-Amz-Date nor Date holds a valid
	// timestamp.
	// S3 code: AccessDenied ("AWS authentication requires a valid Date or
	// x-amz-date header").
	ErrMissingDate = errors.New("sigv4: authentication requires a valid Date or x-amz-date header")

	// ErrHeadersNotSigned means an x-amz-* header (or the Date header used as
	// the request time) is present but not listed in SignedHeaders.
	// S3 code: AccessDenied ("There were headers present in the request which
	// were not signed").
	ErrHeadersNotSigned = errors.New("sigv4: headers present in the request were not signed")

	// ErrInvalidAccessKeyID means the credential store does not know the
	// access key.
	// S3 code: InvalidAccessKeyId (403).
	ErrInvalidAccessKeyID = errors.New("sigv4: access key does not exist")

	// ErrSignatureDoesNotMatch means a signature (request, chunk or trailer)
	// is wrong or missing. Request-signature failures are returned as a
	// *SignatureError that unwraps to it.
	// S3 code: SignatureDoesNotMatch (403).
	ErrSignatureDoesNotMatch = errors.New("sigv4: signature does not match")

	// ErrRequestTimeTooSkewed means the request time differs from the
	// server clock by more than Verifier.MaxSkew (header auth), or a
	// presigned URL is dated more than MaxSkew in the future.
	// S3 code: RequestTimeTooSkewed (403).
	ErrRequestTimeTooSkewed = errors.New("sigv4: request time too skewed")

	// ErrRequestExpired means a presigned URL is used after X-Amz-Date +
	// X-Amz-Expires.
	// S3 code: AccessDenied ("Request has expired").
	ErrRequestExpired = errors.New("sigv4: request has expired")

	// ErrMissingContentSHA256 means a header-signed request has no
	// x-amz-content-sha256 header.
	// S3 code: InvalidRequest ("Missing required header for this request:
	// x-amz-content-sha256").
	ErrMissingContentSHA256 = errors.New("sigv4: missing x-amz-content-sha256")

	// ErrInvalidContentSHA256 means x-amz-content-sha256 is neither a hex
	// SHA-256 nor one of the known payload markers.
	// S3 code: InvalidArgument.
	ErrInvalidContentSHA256 = errors.New("sigv4: invalid x-amz-content-sha256")

	// ErrUnsupportedPayload means a payload mode we do not implement
	// (SigV4a ECDSA streaming, streaming with presigned URLs).
	// S3 code: InvalidRequest. (NotImplemented, 501, is also defensible.)
	ErrUnsupportedPayload = errors.New("sigv4: unsupported payload signing mode")

	// ErrContentSHA256Mismatch means the body's SHA-256 is not the hex value
	// of x-amz-content-sha256.
	// S3 code: XAmzContentSHA256Mismatch.
	ErrContentSHA256Mismatch = errors.New("sigv4: x-amz-content-sha256 does not match the payload")

	// ErrMissingDecodedContentLength means a streaming (aws-chunked) request
	// has no x-amz-decoded-content-length header.
	// S3 code: MissingContentLength (411).
	ErrMissingDecodedContentLength = errors.New("sigv4: missing x-amz-decoded-content-length")

	// ErrInvalidDecodedContentLength means x-amz-decoded-content-length is
	// not a non-negative decimal integer.
	// S3 code: InvalidArgument.
	ErrInvalidDecodedContentLength = errors.New("sigv4: invalid x-amz-decoded-content-length")

	// ErrIncompleteBody means the decoded aws-chunked payload is shorter or
	// longer than x-amz-decoded-content-length, or the body ended before the
	// final chunk.
	// S3 code: IncompleteBody.
	ErrIncompleteBody = errors.New("sigv4: incomplete body")

	// ErrMalformedChunk means the aws-chunked framing is invalid: a bad chunk
	// size or extension, an over-long line, a missing CRLF after chunk data,
	// or data after the end of the body.
	// S3 code: InvalidRequest. (AWS answers some of these with
	// IncompleteBody; the difference does not matter to clients.)
	ErrMalformedChunk = errors.New("sigv4: malformed aws-chunked body")

	// ErrInvalidDigest means Content-MD5 is not the base64 of 16 bytes.
	// S3 code: InvalidDigest.
	ErrInvalidDigest = errors.New("sigv4: invalid Content-MD5")

	// ErrBadDigest means the payload does not match Content-MD5 or the
	// x-amz-checksum-* value (header or trailer).
	// S3 code: BadDigest.
	ErrBadDigest = errors.New("sigv4: checksum does not match the payload")

	// ErrInvalidChecksum means an x-amz-checksum-* value is not valid base64
	// of the algorithm's digest size, the algorithm is unknown, or more than
	// one checksum header is present.
	// S3 code: InvalidRequest.
	ErrInvalidChecksum = errors.New("sigv4: invalid checksum")

	// ErrChecksumConflict means the checksum headers contradict each other:
	// x-amz-trailer together with an x-amz-checksum-* header, or
	// x-amz-sdk-checksum-algorithm naming another algorithm than the header
	// or trailer, or naming one while neither is present.
	// S3 code: InvalidRequest.
	ErrChecksumConflict = errors.New("sigv4: conflicting checksum headers")

	// ErrInvalidTrailer means a trailer problem other than a missing one:
	// x-amz-trailer on a payload mode that carries no trailers, a trailer
	// name we do not support, an undeclared or duplicate trailer, or a
	// malformed trailer line.
	// S3 code: InvalidRequest.
	ErrInvalidTrailer = errors.New("sigv4: invalid trailer")

	// ErrMalformedTrailer marks the ErrInvalidTrailer errors of the
	// trailer section itself (a line that is not "name:value", a trailer
	// after the signature, an undeclared or repeated trailer). S3 code:
	// MalformedTrailerError.
	ErrMalformedTrailer = errors.New("sigv4: malformed trailer")

	// ErrPostAuth means a POST upload's authentication fields
	// (x-amz-algorithm, x-amz-credential, x-amz-date, x-amz-signature) are
	// missing or malformed. S3 code: InvalidArgument.
	ErrPostAuth = errors.New("sigv4: invalid POST authentication fields")

	// ErrMissingTrailer means x-amz-trailer declared a trailer that the body
	// did not carry.
	// S3 code: InvalidRequest.
	ErrMissingTrailer = errors.New("sigv4: declared trailer is missing")

	// ErrNotFinished is returned by Reader.Result before the Reader has
	// returned io.EOF. It is a caller bug, never sent to clients.
	// S3 code: InternalError (500).
	ErrNotFinished = errors.New("sigv4: body not read to the end")
)

// SignatureError reports a request signature that does not match, with what
// AWS returns in its SignatureDoesNotMatch error document so that clients can
// debug their signer. It unwraps to ErrSignatureDoesNotMatch.
type SignatureError struct {
	// AccessKey is the access key of the credential scope.
	AccessKey string
	// SignatureProvided is the signature the client sent.
	SignatureProvided string
	// StringToSign is the string-to-sign the server computed.
	StringToSign string
	// CanonicalRequest is the canonical request the server computed.
	CanonicalRequest string
}

func (e *SignatureError) Error() string {
	return fmt.Sprintf("%v: access key %q", ErrSignatureDoesNotMatch, e.AccessKey)
}

// Unwrap returns ErrSignatureDoesNotMatch.
func (e *SignatureError) Unwrap() error { return ErrSignatureDoesNotMatch }

// AccessKeyError reports an access key the credential store does not know;
// AWS names it in its InvalidAccessKeyId document (AWSAccessKeyId). It
// unwraps to ErrInvalidAccessKeyID.
type AccessKeyError struct {
	// AccessKey is the key of the credential scope, as sent.
	AccessKey string
}

func (e *AccessKeyError) Error() string {
	return fmt.Sprintf("%v: %.64q", ErrInvalidAccessKeyID, e.AccessKey)
}

// Unwrap returns ErrInvalidAccessKeyID.
func (e *AccessKeyError) Unwrap() error { return ErrInvalidAccessKeyID }
