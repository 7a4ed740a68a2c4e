package sigv4

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// serverRequest builds a request as net/http's server would hand it to a
// handler: RequestURI set, Host moved to r.Host.
func serverRequest(method, target, host string, hdr map[string]string, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Host = host
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	return r
}

const exampleAuthPrefix = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"

// TestAWSHeaderVectors replays the examples of "Signature Calculations for
// the Authorization Header: Transferring Payload in a Single Chunk" (AWS S3
// API reference, sig-v4-header-based-auth) with their published signatures.
func TestAWSHeaderVectors(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		target  string
		host    string
		hdr     map[string]string
		body    string
		signed  string
		sig     string
		mode    PayloadMode
		tamper  func(r *http.Request)
		wantErr error
	}{
		{
			name:   "GET object",
			method: "GET", target: "/test.txt", host: "examplebucket.s3.amazonaws.com",
			hdr: map[string]string{
				"Range":                "bytes=0-9",
				"X-Amz-Content-Sha256": emptySHA256Hex,
				"X-Amz-Date":           "20130524T000000Z",
			},
			signed: "host;range;x-amz-content-sha256;x-amz-date",
			sig:    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
			mode:   SignedSHA256,
		},
		{
			name:   "PUT object",
			method: "PUT", target: "/test$file.text", host: "examplebucket.s3.amazonaws.com",
			hdr: map[string]string{
				"Date":                 "Fri, 24 May 2013 00:00:00 GMT",
				"X-Amz-Date":           "20130524T000000Z",
				"X-Amz-Storage-Class":  "REDUCED_REDUNDANCY",
				"X-Amz-Content-Sha256": "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
			},
			body:   "Welcome to Amazon S3.",
			signed: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
			sig:    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
			mode:   SignedSHA256,
		},
		{
			name:   "GET bucket lifecycle",
			method: "GET", target: "/?lifecycle", host: "examplebucket.s3.amazonaws.com",
			hdr: map[string]string{
				"X-Amz-Content-Sha256": emptySHA256Hex,
				"X-Amz-Date":           "20130524T000000Z",
			},
			signed: "host;x-amz-content-sha256;x-amz-date",
			sig:    "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
			mode:   SignedSHA256,
		},
		{
			name:   "GET bucket list objects",
			method: "GET", target: "/?max-keys=2&prefix=J", host: "examplebucket.s3.amazonaws.com",
			hdr: map[string]string{
				"X-Amz-Content-Sha256": emptySHA256Hex,
				"X-Amz-Date":           "20130524T000000Z",
			},
			signed: "host;x-amz-content-sha256;x-amz-date",
			sig:    "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
			mode:   SignedSHA256,
		},
		{
			name:   "GET bucket list objects, query reordered",
			method: "GET", target: "/?prefix=J&max-keys=2", host: "examplebucket.s3.amazonaws.com",
			hdr: map[string]string{
				"X-Amz-Content-Sha256": emptySHA256Hex,
				"X-Amz-Date":           "20130524T000000Z",
			},
			signed: "host;x-amz-content-sha256;x-amz-date",
			sig:    "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
			mode:   SignedSHA256,
		},
		{
			name:   "GET object, range tampered",
			method: "GET", target: "/test.txt", host: "examplebucket.s3.amazonaws.com",
			hdr: map[string]string{
				"Range":                "bytes=0-10",
				"X-Amz-Content-Sha256": emptySHA256Hex,
				"X-Amz-Date":           "20130524T000000Z",
			},
			signed:  "host;range;x-amz-content-sha256;x-amz-date",
			sig:     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
			wantErr: ErrSignatureDoesNotMatch,
		},
		{
			name:   "GET object, other key",
			method: "GET", target: "/test.txu", host: "examplebucket.s3.amazonaws.com",
			hdr: map[string]string{
				"Range":                "bytes=0-9",
				"X-Amz-Content-Sha256": emptySHA256Hex,
				"X-Amz-Date":           "20130524T000000Z",
			},
			signed:  "host;range;x-amz-content-sha256;x-amz-date",
			sig:     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
			wantErr: ErrSignatureDoesNotMatch,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := serverRequest(tc.method, tc.target, tc.host, tc.hdr, tc.body)
			r.Header.Set("Authorization", exampleAuthPrefix+"SignedHeaders="+tc.signed+",Signature="+tc.sig)
			rq, err := newTestVerifier(exampleTime).Verify(r)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Verify: got %v, want %v", err, tc.wantErr)
				}
				var se *SignatureError
				if errors.Is(tc.wantErr, ErrSignatureDoesNotMatch) && !errors.As(err, &se) {
					t.Fatalf("Verify: got %T, want *SignatureError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if rq.AccessKey != exampleAccessKey || rq.PayloadMode != tc.mode || rq.Presigned {
				t.Fatalf("got %+v", rq)
			}
			body, err := rq.Body(r.Body)
			if err != nil {
				t.Fatalf("Body: %v", err)
			}
			got, err := io.ReadAll(body)
			if err != nil || string(got) != tc.body {
				t.Fatalf("read %q, %v; want %q", got, err, tc.body)
			}
		})
	}
}

// TestAWSPresignVector replays "Authenticating Requests: Using Query
// Parameters" (sigv4-query-string-auth), then checks expiry around it.
func TestAWSPresignVector(t *testing.T) {
	const target = "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
		"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
		"&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
		"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	tests := []struct {
		name    string
		now     string
		wantErr error
	}{
		{"at signing time", "2013-05-24T00:00:00Z", nil},
		{"last second", "2013-05-25T00:00:00Z", nil},
		{"expired", "2013-05-25T00:00:01Z", ErrRequestExpired},
		{"14 minutes early", "2013-05-23T23:46:00Z", nil},
		{"16 minutes early", "2013-05-23T23:44:00Z", ErrRequestTimeTooSkewed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := mustTime(t, tc.now)
			r := serverRequest("GET", target, "examplebucket.s3.amazonaws.com", nil, "")
			rq, err := newTestVerifier(now).Verify(r)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Verify: got %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if !rq.Presigned || rq.PayloadMode != Unsigned || !rq.Expires.Equal(exampleTime.Add(86400e9)) {
				t.Fatalf("got %+v", rq)
			}
		})
	}
}

// The chunked-upload examples of "Signature Calculations for the
// Authorization Header: Transferring Payload in Multiple Chunks" and
// "... Including Trailing Headers": 66560 bytes of 'a' in chunks of 65536,
// 1024 and 0, with the published seed, chunk and trailer signatures.
var (
	awsChunkedSigs = []string{
		"4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9", // seed
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	}
	awsTrailerSigs = []string{
		"106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e", // seed
		"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
		"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
		"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
		"d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435", // trailer
	}
	awsChunkedPayload = bytes.Repeat([]byte("a"), 66560)
)

func awsChunkedBody(sigs []string, trailer string) string {
	var b strings.Builder
	b.WriteString("10000;chunk-signature=" + sigs[1] + "\r\n")
	b.Write(awsChunkedPayload[:65536])
	b.WriteString("\r\n400;chunk-signature=" + sigs[2] + "\r\n")
	b.Write(awsChunkedPayload[65536:])
	b.WriteString("\r\n0;chunk-signature=" + sigs[3] + "\r\n")
	b.WriteString(trailer)
	b.WriteString("\r\n")
	return b.String()
}

func awsChunkedRequest(body string) *http.Request {
	r := serverRequest("PUT", "/examplebucket/chunkObject.txt", "s3.amazonaws.com", map[string]string{
		"X-Amz-Date":                   "20130524T000000Z",
		"X-Amz-Storage-Class":          "REDUCED_REDUNDANCY",
		"X-Amz-Content-Sha256":         streamingSignedPayload,
		"Content-Encoding":             "aws-chunked",
		"X-Amz-Decoded-Content-Length": "66560",
		"Content-Length":               "66824",
	}, body)
	r.Header.Set("Authorization", exampleAuthPrefix+
		"SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"+
		"Signature="+awsChunkedSigs[0])
	return r
}

func awsTrailerRequest(body string) *http.Request {
	r := serverRequest("PUT", "/examplebucket/chunkObject.txt", "s3.amazonaws.com", map[string]string{
		"X-Amz-Date":                   "20130524T000000Z",
		"X-Amz-Storage-Class":          "REDUCED_REDUNDANCY",
		"X-Amz-Content-Sha256":         streamingSignedPayloadTrailer,
		"Content-Encoding":             "aws-chunked",
		"X-Amz-Decoded-Content-Length": "66560",
		"X-Amz-Trailer":                "x-amz-checksum-crc32c",
	}, body)
	r.Header.Set("Authorization", exampleAuthPrefix+
		"SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,"+
		"Signature="+awsTrailerSigs[0])
	return r
}

func TestAWSStreamingVectors(t *testing.T) {
	const trailer = "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:" +
		"d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n"
	corrupt := func(s string) string { return strings.Replace(s, "aaaa\r\n400;", "aaab\r\n400;", 1) }
	tests := []struct {
		name    string
		req     *http.Request
		mode    PayloadMode
		wantErr error
	}{
		{"signed chunks", awsChunkedRequest(awsChunkedBody(awsChunkedSigs, "")), StreamingSigned, nil},
		{"signed chunks, data corrupted", awsChunkedRequest(corrupt(awsChunkedBody(awsChunkedSigs, ""))), StreamingSigned, ErrSignatureDoesNotMatch},
		{"signed chunks, chunks swapped sigs", awsChunkedRequest(awsChunkedBody([]string{awsChunkedSigs[0], awsChunkedSigs[2], awsChunkedSigs[1], awsChunkedSigs[3]}, "")), StreamingSigned, ErrSignatureDoesNotMatch},
		{"signed chunks, final sig wrong", awsChunkedRequest(awsChunkedBody([]string{awsChunkedSigs[0], awsChunkedSigs[1], awsChunkedSigs[2], awsChunkedSigs[1]}, "")), StreamingSigned, ErrSignatureDoesNotMatch},
		{"signed trailer", awsTrailerRequest(awsChunkedBody(awsTrailerSigs, trailer)), StreamingSignedTrailer, nil},
		{"signed trailer, value changed", awsTrailerRequest(awsChunkedBody(awsTrailerSigs, strings.Replace(trailer, "sOO8", "sOO9", 1))), StreamingSignedTrailer, ErrSignatureDoesNotMatch},
		{"signed trailer, signature missing", awsTrailerRequest(awsChunkedBody(awsTrailerSigs, "x-amz-checksum-crc32c:sOO8/Q==\r\n")), StreamingSignedTrailer, ErrSignatureDoesNotMatch},
		{"signed trailer, trailer missing", awsTrailerRequest(awsChunkedBody(awsTrailerSigs, "")), StreamingSignedTrailer, ErrMissingTrailer},
		{"signed trailer, CRLF before trailers", awsTrailerRequest(awsChunkedBody(awsTrailerSigs, "\r\n"+trailer)), StreamingSignedTrailer, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rq, err := newTestVerifier(exampleTime).Verify(tc.req)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if rq.PayloadMode != tc.mode || rq.DecodedContentLength != 66560 {
				t.Fatalf("got mode %v, decoded length %d", rq.PayloadMode, rq.DecodedContentLength)
			}
			body, err := rq.Body(tc.req.Body)
			if err != nil {
				t.Fatalf("Body: %v", err)
			}
			for _, n := range []int{1 << 20} {
				got, err := readAllSmall(body, n)
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("read: got %v, want %v", err, tc.wantErr)
				}
				if err != nil {
					if _, rerr := body.Result(); !errors.Is(rerr, tc.wantErr) {
						t.Fatalf("Result: got %v, want the read error", rerr)
					}
					return
				}
				if !bytes.Equal(got, awsChunkedPayload) {
					t.Fatalf("decoded %d bytes, want the 66560 'a's", len(got))
				}
			}
			res, err := body.Result()
			if err != nil {
				t.Fatalf("Result: %v", err)
			}
			if res.Size != 66560 {
				t.Fatalf("Size: got %d, want 66560", res.Size)
			}
			if tc.mode == StreamingSignedTrailer && (res.Checksum != Checksum{CRC32C, "sOO8/Q=="} || !res.ChecksumProvided) {
				t.Fatalf("Checksum: got %+v, want provided CRC32C sOO8/Q==", res)
			}
		})
	}
}

// TestTestEncoderMatchesAWS checks the independent test encoder against the
// documented signatures, so that tests built on it are anchored to AWS.
func TestTestEncoderMatchesAWS(t *testing.T) {
	e := newTestEncoder(exampleSecret, exampleTime, exampleRegion, awsChunkedSigs[0])
	if got, want := e.encode(awsChunkedPayload, 65536), awsChunkedBody(awsChunkedSigs, ""); got != want {
		t.Fatalf("signed body differs from the AWS example")
	}
	e = newTestEncoder(exampleSecret, exampleTime, exampleRegion, awsTrailerSigs[0])
	got := e.encode(awsChunkedPayload, 65536, "x-amz-checksum-crc32c", "sOO8/Q==")
	want := awsChunkedBody(awsTrailerSigs, "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:"+awsTrailerSigs[4]+"\r\n")
	if got != want {
		t.Fatalf("signed trailer body differs from the AWS example")
	}
}
