package sigv4

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestCanonicalURIs(t *testing.T) {
	tests := []struct {
		raw     string
		want    []string
		wantErr bool
	}{
		{"", []string{"/"}, false},
		{"/", []string{"/"}, false},
		{"/bucket/a%20b", []string{"/bucket/a%20b"}, false},
		{"/bucket/dir//x/../y/./z", []string{"/bucket/dir//x/../y/./z"}, false},
		{"/bucket/a!b", []string{"/bucket/a%21b", "/bucket/a!b"}, false},
		{"/bucket/%7e%41", []string{"/bucket/~A", "/bucket/%7e%41"}, false},
		{"/bucket/a%2fb", []string{"/bucket/a%2Fb", "/bucket/a%2fb", "/bucket/a/b"}, false},
		{"/bucket/a%2Fb", []string{"/bucket/a%2Fb", "/bucket/a/b"}, false},
		{"/bucket/%C3%BC", []string{"/bucket/%C3%BC"}, false},
		{"/bucket/\xff", []string{"/bucket/%FF", "/bucket/\xff"}, false},
		{"/bucket/%zz", nil, true},
		{"/bucket/a%", nil, true},
		{"/bucket/a%4", nil, true},
	}
	for _, tc := range tests {
		got, err := canonicalURIs(tc.raw)
		if (err != nil) != tc.wantErr || !slices.Equal(got, tc.want) {
			t.Errorf("canonicalURIs(%q): got %q, %v; want %q", tc.raw, got, err, tc.want)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct {
		raw       string
		presigned bool
		want      string
		wantErr   bool
	}{
		{"", false, "", false},
		{"b=2&a=1", false, "a=1&b=2", false},
		{"acl", false, "acl=", false},
		{"versions&prefix=", false, "prefix=&versions=", false},
		{"a=1&a=0&a=", false, "a=&a=0&a=1", false},
		{"p=a+b", false, "p=a%20b", false},
		{"p=a%20b%2B", false, "p=a%20b%2B", false},
		{"p=%7e%2f", false, "p=~%2F", false},
		{"a-b=1&a%2Fb=2", false, "a%2Fb=2&a-b=1", false}, // sorted after encoding
		{"k;x=1", false, "k%3Bx=1", false},
		{"&&a=1&", false, "a=1", false},
		{"X-Amz-Signature=abc&a=1", true, "a=1", false},
		{"X-Amz-Signature=abc&a=1", false, "X-Amz-Signature=abc&a=1", false},
		{"x=%zz", false, "", true},
	}
	for _, tc := range tests {
		got, err := canonicalQuery(tc.raw, tc.presigned)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("canonicalQuery(%q): got %q, %v; want %q", tc.raw, got, err, tc.want)
		}
	}
}

func TestRawPath(t *testing.T) {
	for _, tc := range []struct {
		requestURI, url, want string
	}{
		{"/b/a%2Fb?x=1", "/b/a%2Fb?x=1", "/b/a%2Fb"},
		{"http://host/b/k!?x", "http://host/b/k!?x", "/b/k!"},
		{"", "http://host/b/a%20b", "/b/a%20b"},
		{"", "http://host", ""},
	} {
		u, err := url.ParseRequestURI(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		r := &http.Request{RequestURI: tc.requestURI, URL: u}
		if got := rawPath(r); got != tc.want {
			t.Errorf("rawPath(%q, %q): got %q, want %q", tc.requestURI, tc.url, got, tc.want)
		}
	}
	r := &http.Request{URL: &url.URL{Opaque: "//host/b/k%21?x"}}
	if got := rawPath(r); got != "/b/k%21" {
		t.Errorf("rawPath(opaque): got %q", got)
	}
}

func TestCanonicalHeaders(t *testing.T) {
	r, _ := http.NewRequest("PUT", "http://h.example:8080/b/k", nil)
	r.ContentLength = 12
	r.TransferEncoding = []string{"chunked"}
	r.Header["X-Amz-Meta-A"] = []string{"  x   y  ", "z"}
	r.Header["x-lower"] = []string{"v"} // non-canonical key, as a hand-built map may have
	var sb strings.Builder
	canonicalHeaders(&sb, r, []string{"content-length", "host", "transfer-encoding", "x-amz-meta-a", "x-lower", "x-absent"})
	want := "content-length:12\nhost:h.example:8080\ntransfer-encoding:chunked\nx-amz-meta-a:x y,z\nx-lower:v\nx-absent:\n"
	if sb.String() != want {
		t.Fatalf("got %q, want %q", sb.String(), want)
	}
}

func TestParseAuthorization(t *testing.T) {
	const sig = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
	good := Authorization{AccessKey: "AKIAIOSFODNN7EXAMPLE", Date: "20130524", Region: "us-east-1", Service: "s3",
		SignedHeaders: []string{"host", "range", "x-amz-date"}, Signature: sig}
	tests := []struct {
		in      string
		want    Authorization
		wantErr error
	}{
		{"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, Signature=" + sig, good, nil},
		{"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-date,Signature=" + sig, good, nil},
		{"AWS4-HMAC-SHA256 Signature=" + sig + ",SignedHeaders=host;range;x-amz-date,  Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,", good, nil},
		{"AWS4-HMAC-SHA256 Credential=a/b/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + sig,
			Authorization{AccessKey: "a/b", Date: "20130524", Region: "us-east-1", Service: "s3", SignedHeaders: []string{"host"}, Signature: sig}, nil},
		{"AWS4-HMAC-SHA256Credential=x", Authorization{}, ErrUnsupportedAuth},
		{"AWS AKIAIOSFODNN7EXAMPLE:sig", Authorization{}, ErrUnsupportedAuth},
		{"", Authorization{}, ErrUnsupportedAuth},
		{"AWS4-HMAC-SHA256", Authorization{}, ErrAuthorizationHeaderMalformed},
		{"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=Host;range, Signature=" + sig, Authorization{}, ErrAuthorizationHeaderMalformed},
		{"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;;range, Signature=" + sig, Authorization{}, ErrAuthorizationHeaderMalformed},
		{"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, Credential=x, SignedHeaders=host, Signature=" + sig, Authorization{}, ErrAuthorizationHeaderMalformed},
		{"AWS4-HMAC-SHA256 Credential=/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + sig, Authorization{}, ErrAuthorizationHeaderMalformed},
		{"AWS4-HMAC-SHA256 Credential=AK/20130524//s3/aws4_request, SignedHeaders=host, Signature=" + sig, Authorization{}, ErrAuthorizationHeaderMalformed},
		{"AWS4-HMAC-SHA256 Credential=AK/2013052/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + sig, Authorization{}, ErrAuthorizationHeaderMalformed},
		{"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + sig[:63], Authorization{}, ErrAuthorizationHeaderMalformed},
		{"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request SignedHeaders=host, Signature=" + sig, Authorization{}, ErrAuthorizationHeaderMalformed},
	}
	for _, tc := range tests {
		got, err := ParseAuthorization(tc.in)
		if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
			t.Errorf("ParseAuthorization(%q): got error %v, want %v", tc.in, err, tc.wantErr)
			continue
		}
		if err == nil && (got.AccessKey != tc.want.AccessKey || got.Date != tc.want.Date || got.Region != tc.want.Region ||
			got.Service != tc.want.Service || got.Signature != tc.want.Signature || !slices.Equal(got.SignedHeaders, tc.want.SignedHeaders)) {
			t.Errorf("ParseAuthorization(%q): got %+v, want %+v", tc.in, got, tc.want)
		}
	}
}
