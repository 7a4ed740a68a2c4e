package s3api

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/wormstore/wormstore/s3api/s3err"
)

// FuzzReadPostForm feeds arbitrary bodies to the pre-authentication form
// reader and arbitrary documents to the policy decoder: neither may panic,
// every failure is an S3 error (or the transport's unexpected EOF), and
// the reader never accepts more than the cap before the file.
func FuzzReadPostForm(f *testing.F) {
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\ndata\r\n--B--\r\n"),
		[]byte(`{"expiration":"2030-01-01T00:00:00Z","conditions":[{"bucket":"b"},["starts-with","$key",""],["content-length-range",1,10]]}`))
	f.Add([]byte("--B\r\n\r\n--B--"), []byte(`{"conditions":[]}`))
	f.Add([]byte(""), []byte(`{"expiration":"x","conditions":[["eq"]]}`))
	f.Fuzz(func(t *testing.T, body, policy []byte) {
		r, _ := http.NewRequest(http.MethodPost, "http://h/b", bytes.NewReader(body))
		r.Header.Set("Content-Type", "multipart/form-data; boundary=B")
		form, err := readPostForm(r)
		if err != nil {
			var se *s3err.Error
			if !errors.As(err, &se) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("readPostForm: %v is not an S3 error", err)
			}
		} else {
			n := 0
			for k, v := range form.fields {
				n += len(k) + len(v)
			}
			if n > maxPostFields {
				t.Fatalf("%d bytes of fields accepted", n)
			}
		}
		p, err := decodePostPolicy(encodeB64(policy))
		if err != nil {
			var se *s3err.Error
			if !errors.As(err, &se) || se.Code != s3err.InvalidPolicyDocument {
				t.Fatalf("decodePostPolicy: %v", err)
			}
			return
		}
		p.check(map[string]string{"key": "k"}, []string{"key"})
	})
}

func encodeB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
