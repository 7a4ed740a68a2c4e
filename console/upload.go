package console

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/wormstore/wormstore/engine"
)

// Uploads. The console's script sends a small file as the raw body of one
// POST …/upload?key=K, and a large one as a multipart upload: POST
// …/multipart?key=K (→ {"uploadId"}), POST …/multipart/part?key&uploadId&part=N
// with the raw part (→ {"etag"}), POST …/multipart/complete with
// {"key","uploadId","parts":[{"number","etag"}]}. Script requests carry the
// CSRF token in X-CSRF-Token and ask for JSON. Without script, the form
// posts multipart/form-data with fields "key" (optional) and "file", in
// that order.

func copyBuffer(w io.Writer, r io.Reader) (int64, error) {
	return io.CopyBuffer(w, r, make([]byte, 256<<10))
}

func (c *Console) upload(w http.ResponseWriter, r *http.Request, s *session) {
	b, ok := c.bucketInfo(w, r, s)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, c.eng.MaxObjectSize()+1<<20)
	var (
		key  string
		body io.Reader
		size int64 = -1
		ct   string
	)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			c.fail(w, r, s, http.StatusBadRequest, "The upload form was malformed.")
			return
		}
		prefix := r.URL.Query().Get("prefix")
		for {
			p, err := mr.NextPart()
			if err != nil {
				c.fail(w, r, s, http.StatusBadRequest, "Choose a file to upload.")
				return
			}
			if p.FormName() == "key" {
				v, _ := io.ReadAll(io.LimitReader(p, 1025))
				key = strings.TrimSpace(string(v))
				continue
			}
			if p.FormName() == "file" && p.FileName() != "" {
				if key == "" {
					key = prefix + p.FileName()
				}
				body, ct = p, p.Header.Get("Content-Type")
				break
			}
		}
	} else {
		key = r.URL.Query().Get("key")
		body, size, ct = r.Body, r.ContentLength, r.Header.Get("Content-Type")
	}
	if key == "" || len(key) > 1024 {
		c.fail(w, r, s, http.StatusBadRequest, "The object key must be 1 to 1024 bytes long.")
		return
	}
	if c.deny(w, r, s, "s3:PutObject", objectARN(b.Name, key), nil) {
		return
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	info, err := c.eng.PutObject(r.Context(), b.Name, key, body, engine.PutOptions{ContentType: ct, Size: size})
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	c.uploaded(w, r, s, b, info)
}

// uploaded answers a finished upload: JSON for the script, a redirect with
// a message otherwise.
func (c *Console) uploaded(w http.ResponseWriter, r *http.Request, s *session, b *engine.BucketInfo, info *engine.ObjectInfo) {
	c.log.Info("console: upload", "bucket", b.Name, "key", info.Key, "version", info.VersionID, "access_key", s.who.AccessKey)
	msg := "Uploaded " + info.Key + " (" + humanBytes(info.Size) + ")."
	if !info.Lock.Retention.IsZero() {
		msg += " It is under " + string(info.Lock.Retention.Mode) + " retention until " + day(info.Lock.Retention.Until) + " (the bucket's default)."
	}
	c.setFlash(s, msg)
	details := "/buckets/" + url.PathEscape(b.Name) + "/object?key=" + url.QueryEscape(info.Key) + "&version=" + url.QueryEscape(info.VersionID)
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, map[string]string{"key": info.Key, "versionId": info.VersionID, "etag": info.ETag, "details": details})
		return
	}
	http.Redirect(w, r, details, http.StatusSeeOther)
}

func (c *Console) mpuCreate(w http.ResponseWriter, r *http.Request, s *session) {
	b, ok := c.bucketInfo(w, r, s)
	if !ok {
		return
	}
	key := r.URL.Query().Get("key")
	if key == "" || len(key) > 1024 {
		c.fail(w, r, s, http.StatusBadRequest, "The object key must be 1 to 1024 bytes long.")
		return
	}
	if c.deny(w, r, s, "s3:PutObject", objectARN(b.Name, key), nil) {
		return
	}
	ct := r.URL.Query().Get("type")
	if ct == "" {
		ct = "application/octet-stream"
	}
	id, err := c.eng.CreateMultipartUpload(r.Context(), b.Name, key, engine.PutOptions{ContentType: ct})
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"uploadId": id})
}

func (c *Console) mpuPart(w http.ResponseWriter, r *http.Request, s *session) {
	bucket := r.PathValue("bucket")
	q := r.URL.Query()
	key, id := q.Get("key"), q.Get("uploadId")
	num, err := strconv.Atoi(q.Get("part"))
	if err != nil {
		c.fail(w, r, s, http.StatusBadRequest, "The part number is missing.")
		return
	}
	if c.deny(w, r, s, "s3:PutObject", objectARN(bucket, key), nil) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, c.eng.MaxObjectSize()+1)
	p, err := c.eng.UploadPart(r.Context(), bucket, key, id, num, r.Body, engine.PartOptions{Size: r.ContentLength})
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"etag": p.ETag})
}

type completeRequest struct {
	Key      string `json:"key"`
	UploadID string `json:"uploadId"`
	Parts    []struct {
		Number int    `json:"number"`
		ETag   string `json:"etag"`
	} `json:"parts"`
}

func (c *Console) mpuComplete(w http.ResponseWriter, r *http.Request, s *session) {
	b, ok := c.bucketInfo(w, r, s)
	if !ok {
		return
	}
	var req completeRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 2<<20)).Decode(&req); err != nil {
		c.fail(w, r, s, http.StatusBadRequest, "The upload's part list was malformed.")
		return
	}
	if c.deny(w, r, s, "s3:PutObject", objectARN(b.Name, req.Key), nil) {
		return
	}
	parts := make([]engine.CompletePart, len(req.Parts))
	for i, p := range req.Parts {
		parts[i] = engine.CompletePart{Number: p.Number, ETag: p.ETag}
	}
	info, err := c.eng.CompleteMultipartUpload(r.Context(), b.Name, req.Key, req.UploadID, parts, engine.CompleteOptions{})
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	c.uploaded(w, r, s, b, info)
}

func (c *Console) mpuAbort(w http.ResponseWriter, r *http.Request, s *session) {
	bucket := r.PathValue("bucket")
	q := r.URL.Query()
	key := q.Get("key")
	if c.deny(w, r, s, "s3:AbortMultipartUpload", objectARN(bucket, key), nil) {
		return
	}
	if err := c.eng.AbortMultipartUpload(r.Context(), bucket, key, q.Get("uploadId")); err != nil {
		c.failErr(w, r, s, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{})
}
