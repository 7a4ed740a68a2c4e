package sigv4

import (
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxSkew is the clock skew S3 tolerates between the request time
// and the server clock.
const DefaultMaxSkew = 15 * time.Minute

// CredentialStore looks up the secret for an access key. Implementations
// must be safe for concurrent use.
type CredentialStore interface {
	Lookup(accessKey string) (secret string, ok bool)
}

// StaticCredentials is a CredentialStore holding a fixed map of access key
// to secret. It must not be modified while in use.
type StaticCredentials map[string]string

// Lookup implements CredentialStore.
func (s StaticCredentials) Lookup(accessKey string) (string, bool) {
	secret, ok := s[accessKey]
	return secret, ok
}

// Verifier authenticates SigV4-signed requests. Set the exported fields
// before first use and do not change them afterwards; a Verifier is then
// safe for concurrent use. It must not be copied after first use (it holds
// the signing-key cache).
type Verifier struct {
	// Region is the only region accepted in credential scopes. Required.
	Region string
	// Service is the only service accepted in credential scopes.
	// Default "s3".
	Service string
	// Creds resolves access keys. Required.
	Creds CredentialStore
	// Clock returns the current time. Default time.Now.
	Clock func() time.Time
	// MaxSkew is the accepted difference between request time and Clock.
	// Default DefaultMaxSkew (15 minutes).
	MaxSkew time.Duration

	keys keyCache
}

// PayloadMode says how the request body is protected, from
// x-amz-content-sha256 (or, presigned, the X-Amz-Content-Sha256 query
// parameter).
type PayloadMode int

const (
	// Unsigned is UNSIGNED-PAYLOAD: the body is not covered by the
	// signature (presigned URLs default to it). Checksums still apply.
	Unsigned PayloadMode = iota
	// SignedSHA256 is a hex SHA-256 of the body, verified at EOF.
	SignedSHA256
	// StreamingSigned is STREAMING-AWS4-HMAC-SHA256-PAYLOAD: aws-chunked
	// with a signature per chunk.
	StreamingSigned
	// StreamingSignedTrailer is STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER:
	// signed chunks, then a signed trailer.
	StreamingSignedTrailer
	// StreamingUnsignedTrailer is STREAMING-UNSIGNED-PAYLOAD-TRAILER:
	// unsigned aws-chunked chunks, then an unsigned trailer (normally the
	// checksum). This is what current AWS SDKs send over HTTPS.
	StreamingUnsignedTrailer
)

// String returns the x-amz-content-sha256 marker of the mode
// ("SHA256" for SignedSHA256, whose marker is the hash itself).
func (m PayloadMode) String() string {
	switch m {
	case Unsigned:
		return unsignedPayload
	case SignedSHA256:
		return "SHA256"
	case StreamingSigned:
		return streamingSignedPayload
	case StreamingSignedTrailer:
		return streamingSignedPayloadTrailer
	case StreamingUnsignedTrailer:
		return streamingUnsignedPayloadTrailer
	}
	return "PayloadMode(" + strconv.Itoa(int(m)) + ")"
}

// Streaming reports whether the body is aws-chunked.
func (m PayloadMode) Streaming() bool { return m >= StreamingSigned }

// Trailers reports whether the body may end in trailers.
func (m PayloadMode) Trailers() bool {
	return m == StreamingSignedTrailer || m == StreamingUnsignedTrailer
}

// Request is an authenticated request: who signed it and how its body is
// protected. Obtain one from Verifier.Verify, then wrap the body with Body.
// A Request is immutable and safe for concurrent use.
type Request struct {
	// AccessKey is the authenticated principal.
	AccessKey string
	// PayloadMode says how the body is protected.
	PayloadMode PayloadMode
	// Presigned reports query-string (presigned URL) authentication.
	Presigned bool
	// Time is the signing time (X-Amz-Date or Date).
	Time time.Time
	// Expires is when a presigned URL stops being valid; zero otherwise.
	Expires time.Time
	// SignedHeaders lists the signed header names, lowercase.
	SignedHeaders []string
	// ContentSHA256 is the lowercase hex payload hash for SignedSHA256,
	// empty otherwise.
	ContentSHA256 string
	// DecodedContentLength is x-amz-decoded-content-length for the
	// streaming modes, -1 otherwise.
	DecodedContentLength int64
	// checksums and checksumErr are ParseChecksumHeaders of the request,
	// parsed by Verify but reported by Body, so that checksum errors never
	// mask authentication errors.
	checksums   ChecksumRequest
	checksumErr error

	signingKey []byte // derived key for the scope; shared, read-only
	seed       []byte // request signature, the first "previous signature"
	amzDate    string // ISO 8601 basic request time, as signed
	scope      string // date/region/service/aws4_request
}

func (rq *Request) setChecksumHeaders(h http.Header) {
	rq.checksums, rq.checksumErr = ParseChecksumHeaders(h, rq.PayloadMode.Trailers())
}

// ChecksumRequest returns the integrity checks the request's headers ask
// for (Content-MD5, x-amz-checksum-*, x-amz-trailer), or the error Body
// would return for them.
func (rq *Request) ChecksumRequest() (ChecksumRequest, error) {
	return rq.checksums, rq.checksumErr
}

func (v *Verifier) service() string {
	if v.Service == "" {
		return "s3"
	}
	return v.Service
}

func (v *Verifier) now() time.Time {
	if v.Clock == nil {
		return time.Now()
	}
	return v.Clock()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew <= 0 {
		return DefaultMaxSkew
	}
	return v.MaxSkew
}

// Verify authenticates r by its Authorization header (AWS4-HMAC-SHA256) or
// its presigned query parameters. It never reads the body, so call it
// before anything triggers "100 Continue". It returns the typed errors of
// errors.go; a wrong signature is a *SignatureError.
func (v *Verifier) Verify(r *http.Request) (*Request, error) {
	if v.Region == "" || v.Creds == nil {
		return nil, errors.New("sigv4: Verifier needs Region and Creds")
	}
	authz, hasHeader := r.Header["Authorization"]
	query, qerr := parseQuery(r.URL.RawQuery)
	// Any of these marks a presigned request.
	hasQuery := false
	for _, p := range [...]string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"} {
		if _, ok := query[p]; ok {
			hasQuery = true
		}
	}
	if !hasQuery {
		if _, ok := query["Signature"]; ok {
			if _, ok := query["AWSAccessKeyId"]; ok {
				return nil, fmt.Errorf("%w: SigV2 presigned URL", ErrUnsupportedAuth)
			}
		}
	}
	switch {
	case hasHeader && hasQuery:
		return nil, ErrMultipleAuth
	case hasHeader:
		if len(authz) != 1 {
			return nil, fmt.Errorf("%w: %d Authorization headers", ErrAuthorizationHeaderMalformed, len(authz))
		}
		return v.verifyHeader(r, authz[0])
	case hasQuery:
		if qerr != nil {
			return nil, fmt.Errorf("%w: %v", ErrAuthorizationQueryParametersError, qerr)
		}
		return v.verifyPresigned(r, query)
	}
	return nil, ErrMissingAuth
}

func (v *Verifier) verifyHeader(r *http.Request, authz string) (*Request, error) {
	a, err := ParseAuthorization(authz)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(a, ErrAuthorizationHeaderMalformed); err != nil {
		return nil, err
	}
	// Request time: X-Amz-Date, else Date.
	var t time.Time
	var amzDate string
	if d := r.Header.Get("X-Amz-Date"); d != "" {
		t, err = time.Parse(amzDateLayout, d)
		if err != nil {
			return nil, fmt.Errorf("%w: X-Amz-Date %.32q", ErrMissingDate, d)
		}
		amzDate = d
	} else if d := r.Header.Get("Date"); d != "" {
		t, err = http.ParseTime(d)
		if err != nil {
			return nil, fmt.Errorf("%w: Date %.40q", ErrMissingDate, d)
		}
		if !contains(a.SignedHeaders, "date") {
			return nil, fmt.Errorf("%w: date", ErrHeadersNotSigned)
		}
		amzDate = t.UTC().Format(amzDateLayout)
	} else {
		return nil, ErrMissingDate
	}
	if got := t.UTC().Format(scopeDateLayout); got != a.Date {
		return nil, fmt.Errorf("%w: credential date %s is not the request date %s", ErrAuthorizationHeaderMalformed, a.Date, got)
	}
	now := v.now()
	if skew := now.Sub(t); skew > v.maxSkew() || skew < -v.maxSkew() {
		return nil, fmt.Errorf("%w: request time %s, server time %s", ErrRequestTimeTooSkewed,
			t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if err := checkAmzHeadersSigned(r, a.SignedHeaders, false); err != nil {
		return nil, err
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if _, ok := r.Header["X-Amz-Content-Sha256"]; !ok {
		return nil, ErrMissingContentSHA256
	}
	mode, hash, err := parsePayload(payload, false)
	if err != nil {
		return nil, err
	}
	rq := &Request{
		PayloadMode:          mode,
		Time:                 t,
		SignedHeaders:        a.SignedHeaders,
		ContentSHA256:        hash,
		DecodedContentLength: -1,
	}
	if mode.Streaming() {
		dl := r.Header.Get("X-Amz-Decoded-Content-Length")
		if dl == "" {
			return nil, ErrMissingDecodedContentLength
		}
		n, err := strconv.ParseInt(dl, 10, 64)
		if err != nil || n < 0 || dl[0] == '+' {
			return nil, fmt.Errorf("%w: %.32q", ErrInvalidDecodedContentLength, dl)
		}
		rq.DecodedContentLength = n
	}
	if err := v.checkSignature(rq, r, a, amzDate, payload, false); err != nil {
		return nil, err
	}
	rq.setChecksumHeaders(r.Header)
	return rq, nil
}

func (v *Verifier) verifyPresigned(r *http.Request, q url.Values) (*Request, error) {
	const bad = "%w: %s"
	get := func(k string) (string, error) {
		vs := q[k]
		if len(vs) != 1 || vs[0] == "" {
			return "", fmt.Errorf("%w: Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters (%s)", ErrAuthorizationQueryParametersError, k)
		}
		return vs[0], nil
	}
	alg, err := get("X-Amz-Algorithm")
	if err != nil {
		return nil, err
	}
	if alg != algorithm {
		return nil, fmt.Errorf("%w: X-Amz-Algorithm only supports %q", ErrAuthorizationQueryParametersError, algorithm)
	}
	var a Authorization
	cred, err := get("X-Amz-Credential")
	if err != nil {
		return nil, err
	}
	if a.AccessKey, a.Date, a.Region, a.Service, err = parseCredential(cred); err != nil {
		return nil, fmt.Errorf(bad, ErrAuthorizationQueryParametersError, err)
	}
	sh, err := get("X-Amz-SignedHeaders")
	if err != nil {
		return nil, err
	}
	if a.SignedHeaders, err = parseSignedHeaders(sh); err != nil {
		return nil, fmt.Errorf(bad, ErrAuthorizationQueryParametersError, err)
	}
	sig, err := get("X-Amz-Signature")
	if err != nil {
		return nil, err
	}
	if a.Signature, err = parseSignature(sig); err != nil {
		return nil, fmt.Errorf(bad, ErrAuthorizationQueryParametersError, err)
	}
	amzDate, err := get("X-Amz-Date")
	if err != nil {
		return nil, err
	}
	t, err := time.Parse(amzDateLayout, amzDate)
	if err != nil {
		return nil, fmt.Errorf("%w: X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"", ErrAuthorizationQueryParametersError)
	}
	exp, err := get("X-Amz-Expires")
	if err != nil {
		return nil, err
	}
	secs, err := strconv.ParseInt(exp, 10, 64)
	switch {
	case err != nil || exp[0] == '+':
		return nil, fmt.Errorf("%w: X-Amz-Expires should be a number", ErrAuthorizationQueryParametersError)
	case secs < 1:
		return nil, fmt.Errorf("%w: X-Amz-Expires must be positive", ErrAuthorizationQueryParametersError)
	case secs > maxPresignExpires:
		return nil, fmt.Errorf("%w: X-Amz-Expires must be less than a week (in seconds) that is 604800", ErrAuthorizationQueryParametersError)
	}
	if err := v.checkScope(a, ErrAuthorizationQueryParametersError); err != nil {
		return nil, err
	}
	if got := t.Format(scopeDateLayout); got != a.Date {
		return nil, fmt.Errorf("%w: credential date %s is not the request date %s", ErrAuthorizationQueryParametersError, a.Date, got)
	}
	now := v.now()
	if t.Sub(now) > v.maxSkew() {
		return nil, fmt.Errorf("%w: presigned URL dated %s, server time %s", ErrRequestTimeTooSkewed,
			t.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	expires := t.Add(time.Duration(secs) * time.Second)
	if now.After(expires) {
		return nil, ErrRequestExpired
	}
	if err := checkAmzHeadersSigned(r, a.SignedHeaders, true); err != nil {
		return nil, err
	}
	payload := unsignedPayload
	if vs, ok := q["X-Amz-Content-Sha256"]; ok {
		if len(vs) != 1 {
			return nil, fmt.Errorf("%w: several X-Amz-Content-Sha256", ErrAuthorizationQueryParametersError)
		}
		payload = vs[0]
	}
	mode, hash, err := parsePayload(payload, true)
	if err != nil {
		return nil, err
	}
	rq := &Request{
		PayloadMode:          mode,
		Presigned:            true,
		Time:                 t,
		Expires:              expires,
		SignedHeaders:        a.SignedHeaders,
		ContentSHA256:        hash,
		DecodedContentLength: -1,
	}
	if err := v.checkSignature(rq, r, a, amzDate, payload, true); err != nil {
		return nil, err
	}
	rq.setChecksumHeaders(r.Header)
	return rq, nil
}

// checkScope checks the credential scope against the configuration.
func (v *Verifier) checkScope(a Authorization, kind error) error {
	if a.Region != v.Region {
		return fmt.Errorf("%w: the region %q is wrong; expecting %q", kind, a.Region, v.Region)
	}
	if a.Service != v.service() {
		return fmt.Errorf("%w: the service %q is wrong; expecting %q", kind, a.Service, v.service())
	}
	return nil
}

// checkAmzHeadersSigned requires every x-amz-* header of r to be signed,
// as S3 does. For presigned requests x-amz-content-sha256 is exempt: the
// payload hash then comes from the query.
func checkAmzHeadersSigned(r *http.Request, signed []string, presigned bool) error {
	for k := range r.Header {
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, "x-amz-") {
			continue
		}
		if presigned && lk == "x-amz-content-sha256" {
			continue
		}
		if !contains(signed, lk) {
			return fmt.Errorf("%w: %.64s", ErrHeadersNotSigned, lk)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parsePayload maps an x-amz-content-sha256 value to a payload mode and,
// for SignedSHA256, the lowercase hex hash.
func parsePayload(p string, presigned bool) (PayloadMode, string, error) {
	switch p {
	case unsignedPayload:
		return Unsigned, "", nil
	case streamingSignedPayload, streamingSignedPayloadTrailer, streamingUnsignedPayloadTrailer:
		if presigned {
			return 0, "", fmt.Errorf("%w: %s with a presigned URL", ErrUnsupportedPayload, p)
		}
		switch p {
		case streamingSignedPayload:
			return StreamingSigned, "", nil
		case streamingSignedPayloadTrailer:
			return StreamingSignedTrailer, "", nil
		}
		return StreamingUnsignedTrailer, "", nil
	}
	if strings.HasPrefix(p, streamingECDSAPrefix) {
		return 0, "", fmt.Errorf("%w: %s", ErrUnsupportedPayload, p)
	}
	if len(p) == 64 {
		if _, err := hex.DecodeString(p); err == nil {
			return SignedSHA256, strings.ToLower(p), nil
		}
	}
	return 0, "", fmt.Errorf("%w: %.80q", ErrInvalidContentSHA256, p)
}

// checkSignature looks up the secret, computes the request signature over
// each candidate canonical URI and compares it in constant time. On success
// it fills the signing state of rq.
func (v *Verifier) checkSignature(rq *Request, r *http.Request, a Authorization, amzDate, payloadHash string, presigned bool) error {
	secret, ok := v.Creds.Lookup(a.AccessKey)
	if !ok {
		return fmt.Errorf("%w: %.64q", ErrInvalidAccessKeyID, a.AccessKey)
	}
	want, err := hex.DecodeString(a.Signature)
	if err != nil { // ParseAuthorization/parseSignature already checked
		return fmt.Errorf("%w: signature is not hex", ErrAuthorizationHeaderMalformed)
	}
	sigErr := &SignatureError{AccessKey: a.AccessKey, SignatureProvided: a.Signature}
	uris, err := canonicalURIs(rawPath(r))
	if err != nil {
		return fmt.Errorf("%w: %v", sigErr, err)
	}
	query, err := canonicalQuery(r.URL.RawQuery, presigned)
	if err != nil {
		return fmt.Errorf("%w: %v", sigErr, err)
	}
	var hb strings.Builder
	canonicalHeaders(&hb, r, a.SignedHeaders)
	headers := hb.String()
	signed := strings.Join(a.SignedHeaders, ";")
	scope := a.Date + "/" + a.Region + "/" + a.Service + "/" + scopeTerminator
	key := v.keys.signingKey(a.AccessKey, secret, a.Date, a.Region, a.Service)
	for i, uri := range uris {
		creq := canonicalRequest(r.Method, uri, query, headers, signed, payloadHash)
		sts := stringToSign(amzDate, scope, creq)
		got := hmacSHA256(key, sts)
		if hmac.Equal(got, want) {
			rq.AccessKey = a.AccessKey
			rq.signingKey = key
			rq.seed = want
			rq.amzDate = amzDate
			rq.scope = scope
			return nil
		}
		if i == 0 {
			sigErr.CanonicalRequest, sigErr.StringToSign = creq, sts
		}
	}
	return sigErr
}
