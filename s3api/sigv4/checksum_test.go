package sigv4

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestAlgorithmVectors(t *testing.T) {
	crc64 := func(v uint64) string {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], v)
		return base64.StdEncoding.EncodeToString(b[:])
	}
	tests := []struct {
		alg   Algorithm
		input []byte
		want  string
	}{
		{CRC32, []byte("hello"), "NhCmhg=="},
		{CRC32C, bytes.Repeat([]byte("a"), 66560), "sOO8/Q=="},      // AWS trailer example
		{CRC64NVME, []byte("123456789"), crc64(0xae8b14860a799888)}, // CRC-64/NVME check value
		{CRC64NVME, make([]byte, 32), crc64(0xcf3473434d4ecf3b)},
		{SHA1, []byte("hello"), "qvTGHdzF6KLavt4PO0gs2a6pQ00="},
		{SHA256, []byte("Hello world"), "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw="}, // aws-sdk-go-v2 doc example
		{MD5, []byte("hello"), "XUFAKrxLKna5cZ2REBfFkg=="},
		{SHA512, []byte("abc"), hex64("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")}, // FIPS 180-2
		{XXHASH64, nil, crc64(0xef46db3751d8e999)},                  // XXH64 of the empty input
		{XXHASH3, nil, crc64(0x2d06800538d394c2)},                   // XXH3-64 of the empty input
		{XXHASH128, nil, hex64("99aa06d3014798d86001c324468d497f")}, // XXH3-128, high half first
	}
	for _, tc := range tests {
		h := tc.alg.New()
		h.Write(tc.input)
		if got := base64.StdEncoding.EncodeToString(h.Sum(nil)); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.alg, got, tc.want)
		}
		if n := len(h.Sum(nil)); n != tc.alg.Size() {
			t.Errorf("%s: Sum is %d bytes, Size says %d", tc.alg, n, tc.alg.Size())
		}
	}
}

func TestParseAlgorithm(t *testing.T) {
	for _, a := range Algorithms() {
		for _, s := range []string{string(a), strings.ToLower(string(a))} {
			if got, ok := ParseAlgorithm(s); !ok || got != a {
				t.Errorf("ParseAlgorithm(%q): got %q %v", s, got, ok)
			}
		}
		if got, want := a.HeaderName(), "x-amz-checksum-"+strings.ToLower(string(a)); got != want {
			t.Errorf("HeaderName: got %q, want %q", got, want)
		}
	}
	for _, s := range []string{"", "BLAKE3", "crc", "XXHASH"} {
		if _, ok := ParseAlgorithm(s); ok {
			t.Errorf("ParseAlgorithm(%q) accepted", s)
		}
	}
	if Algorithm("BLAKE3").Size() != 0 {
		t.Error("unknown algorithm has a size")
	}
}

func TestParseChecksumHeaders(t *testing.T) {
	md5hello := "XUFAKrxLKna5cZ2REBfFkg=="
	tests := []struct {
		name     string
		hdr      map[string]string
		trailers bool
		want     ChecksumRequest
		wantErr  error
	}{
		{"none", nil, false, ChecksumRequest{}, nil},
		{"content-md5", map[string]string{"Content-MD5": md5hello}, false, ChecksumRequest{ContentMD5: mustB64(md5hello)}, nil},
		{"header", map[string]string{"x-amz-checksum-crc32": "NhCmhg=="}, false, ChecksumRequest{Algorithm: CRC32, Value: "NhCmhg=="}, nil},
		{"header + sdk algorithm", map[string]string{"x-amz-checksum-crc64nvme": "AAAAAAAAAAA=", "x-amz-sdk-checksum-algorithm": "crc64nvme"}, false, ChecksumRequest{Algorithm: CRC64NVME, Value: "AAAAAAAAAAA="}, nil},
		{"trailer", map[string]string{"x-amz-trailer": "X-Amz-Checksum-Sha256"}, true, ChecksumRequest{Algorithm: SHA256, Trailer: true}, nil},
		{"type and mode headers ignored", map[string]string{"x-amz-checksum-type": "FULL_OBJECT", "x-amz-checksum-mode": "ENABLED", "x-amz-checksum-algorithm": "CRC32"}, false, ChecksumRequest{}, nil},
		{"empty content-md5", map[string]string{"Content-MD5": ""}, false, ChecksumRequest{}, ErrInvalidDigest},
		{"empty checksum", map[string]string{"x-amz-checksum-sha1": ""}, false, ChecksumRequest{}, ErrInvalidChecksum},
		{"trailer in plain mode", map[string]string{"x-amz-trailer": "x-amz-checksum-crc32"}, false, ChecksumRequest{}, ErrInvalidTrailer},
		{"trailer checksum-type", map[string]string{"x-amz-trailer": "x-amz-checksum-type"}, true, ChecksumRequest{}, ErrInvalidTrailer},
		{"trailer + header", map[string]string{"x-amz-trailer": "x-amz-checksum-crc32", "x-amz-checksum-crc32": "NhCmhg=="}, true, ChecksumRequest{}, ErrChecksumConflict},
		{"sdk alg vs trailer", map[string]string{"x-amz-trailer": "x-amz-checksum-crc32", "x-amz-sdk-checksum-algorithm": "CRC32C"}, true, ChecksumRequest{}, ErrChecksumConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.hdr {
				h.Set(k, v)
			}
			got, err := ParseChecksumHeaders(h, tc.trailers)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("got error %v, want %v", err, tc.wantErr)
			}
			if err == nil && (got.Algorithm != tc.want.Algorithm || got.Value != tc.want.Value || got.Trailer != tc.want.Trailer || !bytes.Equal(got.ContentMD5, tc.want.ContentMD5)) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func mustB64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestChecksumsStandalone(t *testing.T) {
	c := NewChecksums(ChecksumRequest{Default: CRC32})
	io.Copy(c, strings.NewReader("hello"))
	res, err := c.Verify()
	if err != nil {
		t.Fatal(err)
	}
	if res.Size != 5 || hex.EncodeToString(res.MD5[:]) != "5d41402abc4b2a76b9719d911017c592" ||
		res.Checksum != (Checksum{CRC32, "NhCmhg=="}) || res.ChecksumProvided {
		t.Fatalf("got %+v", res)
	}
	c = NewChecksums(ChecksumRequest{})
	res, err = c.Verify()
	if err != nil || res.Checksum != (Checksum{CRC64NVME, "AAAAAAAAAAA="}) {
		t.Fatalf("empty body: got %+v, %v; want CRC64NVME of nothing", res, err)
	}
}

// TestBodyDefaultAlgorithm: without a client checksum the Reader computes
// CRC64NVME, or the algorithm BodyWithDefault names; a client checksum
// always wins.
func TestBodyDefaultAlgorithm(t *testing.T) {
	rq := &Request{PayloadMode: Unsigned, DecodedContentLength: -1}
	for _, tc := range []struct {
		def  Algorithm
		hdr  string
		want Checksum
	}{
		{"", "", Checksum{CRC64NVME, base64.StdEncoding.EncodeToString(sum(CRC64NVME, "hello"))}},
		{CRC32C, "", Checksum{CRC32C, base64.StdEncoding.EncodeToString(sum(CRC32C, "hello"))}},
		{CRC32C, "NhCmhg==", Checksum{CRC32, "NhCmhg=="}},
	} {
		h := http.Header{}
		if tc.hdr != "" {
			h.Set("X-Amz-Checksum-Crc32", tc.hdr)
		}
		rq.setChecksumHeaders(h)
		r, err := rq.BodyWithDefault(strings.NewReader("hello"), tc.def)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, r)
		res, err := r.Result()
		if err != nil || res.Checksum != tc.want || res.ChecksumProvided != (tc.hdr != "") {
			t.Fatalf("default %q: got %+v, %v; want %+v", tc.def, res, err, tc.want)
		}
	}
	if _, err := rq.BodyWithDefault(nil, "BLAKE3"); !errors.Is(err, ErrInvalidChecksum) {
		t.Fatalf("unknown default: got %v, want ErrInvalidChecksum", err)
	}
}

// hex64 is the base64 of a hex digest.
func hex64(h string) string {
	b, err := hex.DecodeString(h)
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func sum(a Algorithm, s string) []byte {
	h := a.New()
	h.Write([]byte(s))
	return h.Sum(nil)
}
