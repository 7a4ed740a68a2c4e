package sigv4

import (
	"crypto/hmac"
	"encoding/hex"
	"fmt"
	"time"
)

// PostForm holds the authentication fields of a browser-based POST upload
// (multipart/form-data): the base64 policy document and its SigV4
// signature, with the algorithm, credential scope and date it was signed
// with. Field names are the form's ("x-amz-algorithm", …).
type PostForm struct {
	Algorithm  string // x-amz-algorithm
	Credential string // x-amz-credential: key/date/region/service/aws4_request
	Date       string // x-amz-date: yyyyMMdd'T'HHmmss'Z'
	Signature  string // x-amz-signature: hex HMAC-SHA256
	Policy     string // policy: base64 of the policy document, as sent
}

// VerifyPost authenticates a POST upload: the signature must be
// hex(HMAC-SHA256(signing key of the credential scope, Policy)), where the
// scope's region and service are the Verifier's and its date is Date's.
// The policy's own expiration and conditions are the caller's to check
// (they need the form). Errors: ErrAuthorizationQueryParametersError for
// missing or malformed fields (S3 answers them as InvalidArgument or
// AccessDenied; the caller maps), an *AccessKeyError, a *SignatureError
// (StringToSign is the policy).
func (v *Verifier) VerifyPost(f PostForm) (*Request, error) {
	if f.Algorithm != algorithm {
		return nil, fmt.Errorf("%w: x-amz-algorithm must be %q", ErrPostAuth, algorithm)
	}
	var a Authorization
	var err error
	if a.AccessKey, a.Date, a.Region, a.Service, err = parseCredential(f.Credential); err != nil {
		return nil, fmt.Errorf("%w: x-amz-credential: %v", ErrPostAuth, err)
	}
	if err := v.checkScope(a, ErrPostAuth); err != nil {
		return nil, err
	}
	t, err := time.Parse(amzDateLayout, f.Date)
	if err != nil {
		return nil, fmt.Errorf("%w: x-amz-date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"", ErrPostAuth)
	}
	if got := t.Format(scopeDateLayout); got != a.Date {
		return nil, fmt.Errorf("%w: credential date %s is not the x-amz-date date %s", ErrPostAuth, a.Date, got)
	}
	if a.Signature, err = parseSignature(f.Signature); err != nil {
		return nil, fmt.Errorf("%w: x-amz-signature: %v", ErrPostAuth, err)
	}
	secret, ok := v.Creds.Lookup(a.AccessKey)
	if !ok {
		return nil, &AccessKeyError{AccessKey: a.AccessKey}
	}
	want, err := hex.DecodeString(a.Signature)
	if err != nil {
		return nil, fmt.Errorf("%w: x-amz-signature is not hex", ErrPostAuth)
	}
	key := v.keys.signingKey(a.AccessKey, secret, a.Date, a.Region, a.Service)
	if !hmac.Equal(hmacSHA256(key, f.Policy), want) {
		return nil, &SignatureError{AccessKey: a.AccessKey, SignatureProvided: a.Signature, StringToSign: f.Policy}
	}
	return &Request{
		AccessKey: a.AccessKey, PayloadMode: Unsigned, Time: t, DecodedContentLength: -1,
		signingKey: key, amzDate: f.Date, scope: a.Date + "/" + a.Region + "/" + a.Service + "/" + scopeTerminator,
	}, nil
}
