package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
)

// TestVerifyPost: a POST policy signature is HMAC-SHA256 of the base64
// policy under the scope's signing key; scope, date and algorithm are
// checked first.
func TestVerifyPost(t *testing.T) {
	v := newTestVerifier(exampleTime)
	const policy = "eyJleHBpcmF0aW9uIjoiMjAxMy0wNS0yNVQwMDowMDowMFoiLCJjb25kaXRpb25zIjpbXX0="
	key := deriveSigningKey(exampleSecret, "20130524", exampleRegion, "s3")
	m := hmac.New(sha256.New, key)
	m.Write([]byte(policy))
	good := PostForm{Algorithm: "AWS4-HMAC-SHA256", Credential: exampleAccessKey + "/20130524/us-east-1/s3/aws4_request",
		Date: "20130524T000000Z", Signature: hex.EncodeToString(m.Sum(nil)), Policy: policy}
	rq, err := v.VerifyPost(good)
	if err != nil {
		t.Fatal(err)
	}
	if rq.AccessKey != exampleAccessKey || rq.PayloadMode != Unsigned || !rq.Time.Equal(exampleTime) {
		t.Fatalf("got %+v", rq)
	}
	var sig *SignatureError
	var ak *AccessKeyError
	for _, tc := range []struct {
		name string
		edit func(*PostForm)
		want func(error) bool
	}{
		{"algorithm", func(f *PostForm) { f.Algorithm = "AWS4-HMAC-SHA1" }, func(e error) bool { return errors.Is(e, ErrPostAuth) }},
		{"region", func(f *PostForm) { f.Credential = exampleAccessKey + "/20130524/eu-west-1/s3/aws4_request" }, func(e error) bool { return errors.Is(e, ErrPostAuth) }},
		{"date", func(f *PostForm) { f.Date = "20130525T000000Z" }, func(e error) bool { return errors.Is(e, ErrPostAuth) }},
		{"bad date", func(f *PostForm) { f.Date = "yesterday" }, func(e error) bool { return errors.Is(e, ErrPostAuth) }},
		{"signature", func(f *PostForm) { f.Signature = "zz" }, func(e error) bool { return errors.Is(e, ErrPostAuth) }},
		{"policy changed", func(f *PostForm) { f.Policy += "=" }, func(e error) bool { return errors.As(e, &sig) && sig.StringToSign == policy+"=" }},
		{"unknown key", func(f *PostForm) { f.Credential = "AKIAOTHER/20130524/us-east-1/s3/aws4_request" }, func(e error) bool { return errors.As(e, &ak) && ak.AccessKey == "AKIAOTHER" }},
	} {
		f := good
		tc.edit(&f)
		if _, err := v.VerifyPost(f); err == nil || !tc.want(err) {
			t.Errorf("%s: got %v", tc.name, err)
		}
	}
}
