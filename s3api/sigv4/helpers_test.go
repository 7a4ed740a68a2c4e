package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The example credentials of the AWS SigV4 documentation.
const (
	exampleAccessKey = "AKIAIOSFODNN7EXAMPLE"
	exampleSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	exampleRegion    = "us-east-1"
)

// exampleTime is the request time of every AWS documentation example.
var exampleTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func newTestVerifier(now time.Time) *Verifier {
	return &Verifier{
		Region: exampleRegion,
		Creds:  StaticCredentials{exampleAccessKey: exampleSecret},
		Clock:  fixedClock(now),
	}
}

var exampleCreds = aws.Credentials{AccessKeyID: exampleAccessKey, SecretAccessKey: exampleSecret}

// sdkSign signs r in place with aws-sdk-go-v2's signer configured as its S3
// client configures it (the URL path is signed as sent, no double escaping).
func sdkSign(t testing.TB, r *http.Request, payloadHash string, at time.Time) {
	t.Helper()
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := s.SignHTTP(context.Background(), exampleCreds, r, payloadHash, "s3", exampleRegion, at); err != nil {
		t.Fatalf("SignHTTP: %v", err)
	}
}

// sdkPresign presigns r with aws-sdk-go-v2 and returns a request for the
// presigned URL carrying the headers the signer says must be sent.
func sdkPresign(t testing.TB, r *http.Request, at time.Time) *http.Request {
	t.Helper()
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	u, hdr, err := s.PresignHTTP(context.Background(), exampleCreds, r, unsignedPayload, "s3", exampleRegion, at)
	if err != nil {
		t.Fatalf("PresignHTTP: %v", err)
	}
	out, err := http.NewRequest(r.Method, u, nil)
	if err != nil {
		t.Fatalf("NewRequest(%q): %v", u, err)
	}
	for k, vs := range hdr {
		if strings.EqualFold(k, "host") {
			continue
		}
		out.Header[k] = vs
	}
	return out
}

func newRequest(t testing.TB, method, url string, body io.Reader) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	return r
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// testEncoder is an aws-chunked encoder written from the AWS documentation,
// independent of the package code (it has its own HMAC chain); it is checked
// against the documented signatures in TestAWSStreamingVectors.
type testEncoder struct {
	key         []byte
	amzDate     string
	scope       string
	prev        string // hex
	unsigned    bool
	lowercaseSz bool
}

func testMAC(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func newTestEncoder(secret string, at time.Time, region, seed string) *testEncoder {
	date := at.Format("20060102")
	k := testMAC([]byte("AWS4"+secret), date)
	k = testMAC(k, region)
	k = testMAC(k, "s3")
	k = testMAC(k, "aws4_request")
	return &testEncoder{
		key:     k,
		amzDate: at.Format("20060102T150405Z"),
		scope:   date + "/" + region + "/s3/aws4_request",
		prev:    seed,
	}
}

func (e *testEncoder) chunkSig(data []byte) string {
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + e.amzDate + "\n" + e.scope + "\n" + e.prev + "\n" +
		sha256Hex(nil) + "\n" + sha256Hex(data)
	e.prev = hex.EncodeToString(testMAC(e.key, sts))
	return e.prev
}

// chunk encodes one data chunk (or, with empty data, the final chunk
// header without the closing CRLF of the body).
func (e *testEncoder) chunk(data []byte) string {
	if e.unsigned {
		if len(data) == 0 {
			return "0\r\n"
		}
		return fmt.Sprintf("%x\r\n%s\r\n", len(data), data)
	}
	sig := e.chunkSig(data)
	if len(data) == 0 {
		return "0;chunk-signature=" + sig + "\r\n"
	}
	return fmt.Sprintf("%x;chunk-signature=%s\r\n%s\r\n", len(data), sig, data)
}

// trailers encodes trailer lines, with the trailer signature unless the
// encoder is unsigned, and the closing CRLF.
func (e *testEncoder) trailers(kv ...string) string {
	var wire, canon strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		wire.WriteString(kv[i] + ":" + kv[i+1] + "\r\n")
		canon.WriteString(kv[i] + ":" + kv[i+1] + "\n")
	}
	if !e.unsigned {
		sts := "AWS4-HMAC-SHA256-TRAILER\n" + e.amzDate + "\n" + e.scope + "\n" + e.prev + "\n" +
			sha256Hex([]byte(canon.String()))
		e.prev = hex.EncodeToString(testMAC(e.key, sts))
		wire.WriteString("x-amz-trailer-signature:" + e.prev + "\r\n")
	}
	wire.WriteString("\r\n")
	return wire.String()
}

// encode splits payload into chunks of size n and encodes the whole body,
// with trailers kv (nil for the non-trailer modes: just the closing CRLF).
func (e *testEncoder) encode(payload []byte, n int, kv ...string) string {
	var b strings.Builder
	for len(payload) > 0 {
		c := payload[:min(n, len(payload))]
		payload = payload[len(c):]
		b.WriteString(e.chunk(c))
	}
	b.WriteString(e.chunk(nil))
	if kv == nil {
		if e.unsigned {
			b.WriteString("\r\n")
			return b.String()
		}
		b.WriteString("\r\n")
		return b.String()
	}
	b.WriteString(e.trailers(kv...))
	return b.String()
}

// seedOf returns the Signature of a signed request's Authorization header.
func seedOf(t testing.TB, r *http.Request) string {
	t.Helper()
	a, err := ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		t.Fatalf("ParseAuthorization: %v", err)
	}
	return a.Signature
}

// readAllSmall reads r in reads of at most n bytes.
func readAllSmall(r io.Reader, n int) ([]byte, error) {
	var out []byte
	buf := make([]byte, n)
	for {
		k, err := r.Read(buf)
		out = append(out, buf[:k]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}
