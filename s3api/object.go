package s3api

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api/s3err"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// bodySize is the declared payload size of rq: the decoded length for
// aws-chunked bodies, Content-Length otherwise, -1 if unknown.
func (rq *request) bodySize() int64 {
	if rq.auth.PayloadMode.Streaming() {
		return rq.auth.DecodedContentLength
	}
	return rq.r.ContentLength
}

// finalizer returns the PutOptions.Finalize hook for body: it hands the
// verified checksum to the engine, or the verification error, which makes
// the engine store nothing.
func finalizer(body *sigv4.Reader) func() (map[string]string, error) {
	return func() (map[string]string, error) {
		res, err := body.Result()
		if err != nil {
			return nil, err
		}
		return map[string]string{string(res.Checksum.Algorithm): res.Checksum.Value}, nil
	}
}

// bodyMD5 returns the PutOptions.MD5 hook for body: the verifying reader
// already hashed every byte, so the engine need not hash them again. The
// engine calls it only after Finalize succeeded.
func bodyMD5(body *sigv4.Reader) func() [16]byte {
	return func() [16]byte {
		res, _ := body.Result()
		return res.MD5
	}
}

// putObject is PutObject, or CopyObject when x-amz-copy-source is present.
func (rq *request) putObject() error {
	if rq.r.Header.Get("x-amz-copy-source") != "" {
		rq.op = "CopyObject"
		return rq.copyObject()
	}
	h := rq.r.Header
	if err := checkUnsupportedHeaders(h); err != nil {
		return err
	}
	opts := engine.PutOptions{Size: rq.bodySize(), IfNoneMatch: h.Get("If-None-Match"), IfMatch: h.Get("If-Match")}
	if opts.IfNoneMatch != "" && opts.IfNoneMatch != "*" {
		return s3err.New(s3err.NotImplemented, "If-None-Match on PutObject supports only *")
	}
	if err := objectMetadata(h, &opts); err != nil {
		return err
	}
	if err := rq.requestTags(&opts); err != nil {
		return err
	}
	locked, err := lockOptions(h, &opts)
	if err != nil {
		return err
	}
	if locked {
		ok, err := rq.hasIntegrity()
		if err != nil {
			return err
		}
		if !ok {
			return s3err.New(s3err.InvalidRequest, "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters")
		}
	}
	body, err := rq.auth.Body(rq.r.Body)
	if err != nil {
		return err
	}
	opts.Finalize = finalizer(body)
	opts.MD5 = bodyMD5(body)
	info, err := rq.s.eng.PutObject(rq.ctx, rq.bucket, rq.key, body, opts)
	if err != nil {
		return objectErr(err, rq.bucket, rq.key)
	}
	hh := rq.w.Header()
	hh.Set("ETag", quoteETag(info.ETag))
	setChecksumHeaders(hh, info.Checksums, info.ChecksumType)
	rq.setWriteVersionHeader(info.VersionID)
	rq.setExpiration(info)
	return rq.writeEmpty(http.StatusOK)
}

// objectErr adds the elements AWS puts in object-level errors and turns
// a delete-marker result into its headers.
func objectErr(err error, bucket, key string) error {
	var dm *engine.DeleteMarkerError
	if errors.As(err, &dm) {
		se := s3err.FromError(err).WithHeader("x-amz-delete-marker", "true").WithHeader("x-amz-version-id", dm.VersionID)
		if se.Code == s3err.MethodNotAllowed {
			se.WithHeader("Last-Modified", dm.ModTime.UTC().Format(http.TimeFormat))
			se.With("Method", "GET").With("ResourceType", "DeleteMarker")
		} else {
			se.With("Key", key)
		}
		return se
	}
	switch {
	case errors.Is(err, engine.ErrNoSuchKey):
		return s3err.FromError(err).With("Key", key)
	case errors.Is(err, engine.ErrNoSuchBucket):
		return s3err.FromError(err).With("BucketName", bucket)
	case errors.Is(err, engine.ErrNoSuchVersion):
		return s3err.FromError(err).With("Key", key)
	case errors.Is(err, engine.ErrLockNotEnabled):
		return s3err.New(s3err.InvalidRequest, "Bucket is missing Object Lock Configuration")
	}
	return err
}

// byteRange is a satisfiable range of an object.
type byteRange struct {
	start, length int64
}

// parseRange parses a Range header against an object of size bytes. It
// returns nil (whole object) for an absent, malformed or multi-range
// header, as S3 does, and InvalidRange (416) for an unsatisfiable one.
func parseRange(h string, size int64) (*byteRange, error) {
	spec, ok := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return nil, nil
	}
	// No space is trimmed inside the spec: "bytes= -1" is not a suffix
	// range but a malformed one, which S3 ignores (whole object).
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return nil, nil
	}
	unsatisfiable := func() error {
		return s3err.New(s3err.InvalidRange, "").
			With("RangeRequested", h).With("ActualObjectSize", strconv.FormatInt(size, 10)).
			WithHeader("Content-Range", fmt.Sprintf("bytes */%d", size))
	}
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 || last[0] == '+' {
			return nil, nil
		}
		if size == 0 {
			// As AWS: a suffix of an empty object is the whole
			// (empty) object, 200.
			return nil, nil
		}
		if n == 0 {
			return nil, unsatisfiable()
		}
		n = min(n, size)
		return &byteRange{start: size - n, length: n}, nil
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 || first[0] == '+' {
		return nil, nil
	}
	end := size - 1
	if last != "" {
		e, err := strconv.ParseInt(last, 10, 64)
		if err != nil || e < start || last[0] == '+' {
			return nil, nil
		}
		end = min(e, size-1)
	}
	if start >= size {
		return nil, unsatisfiable()
	}
	return &byteRange{start: start, length: end - start + 1}, nil
}

// getObject serves GetObject and HeadObject.
func (rq *request) getObject() error {
	head := rq.r.Method == http.MethodHead
	vid := rq.query.Get("versionId")
	partStr := rq.query.Get("partNumber")
	rangeHdr := rq.r.Header.Get("Range")
	if partStr != "" && rangeHdr != "" {
		return s3err.New(s3err.InvalidRequest, "Cannot specify both Range header and partNumber query parameter")
	}
	partNum := 0
	if partStr != "" {
		n, err := strconv.Atoi(partStr)
		if err != nil || n < 1 || n > engine.MaxParts {
			return s3err.New(s3err.InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive").With("ArgumentName", "partNumber").With("ArgumentValue", partStr)
		}
		partNum = n
	}
	if rq.r.Header.Get("x-amz-server-side-encryption-customer-algorithm") != "" {
		return s3err.New(s3err.NotImplemented, "SSE-C is not implemented")
	}
	if handled, err := rq.serveSOSAPI(); handled {
		return err
	}
	obj, err := rq.s.eng.OpenObject(rq.ctx, rq.bucket, rq.key, vid)
	if err != nil {
		return objectErr(err, rq.bucket, rq.key)
	}
	info := &obj.Info
	h := rq.r.Header
	if cerr := conditions(h.Get("If-Match"), h.Get("If-None-Match"), h.Get("If-Modified-Since"),
		h.Get("If-Unmodified-Since"), info.ETag, info.ModTime, false); cerr != nil {
		if cerr.Code == s3err.NotModified {
			rq.setVersionHeader(info.VersionID)
		}
		return cerr
	}

	var rng *byteRange
	switch {
	case partNum > 0:
		rng, err = partRange(info, partNum)
	case rangeHdr != "":
		rng, err = parseRange(rangeHdr, info.Size)
	}
	if err != nil {
		return err
	}
	rq.setObjectHeaders(info)
	rq.setTaggingCount(info)
	rq.setExpiration(info)
	out := rq.w.Header()
	status := http.StatusOK
	off, n := int64(0), info.Size
	if rng != nil {
		status = http.StatusPartialContent
		off, n = rng.start, rng.length
		out.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, info.Size))
	} else if strings.EqualFold(h.Get("x-amz-checksum-mode"), "ENABLED") {
		setChecksumHeaders(out, info.Checksums, info.ChecksumType)
	}
	if partNum > 0 && len(info.Parts) > 0 {
		out.Set("x-amz-mp-parts-count", strconv.Itoa(len(info.Parts)))
	}
	rq.responseOverrides()
	out.Set("Content-Length", strconv.FormatInt(n, 10))
	if head {
		rq.w.WriteHeader(status)
		return nil
	}
	rc, err := obj.NewReader(off, n)
	if err != nil {
		return err
	}
	defer rc.Close()
	rq.w.WriteHeader(status)
	if _, err := io.Copy(rq.w, rc); err != nil {
		// Headers are out; a short body must not look complete. Log and
		// abort the connection.
		if rq.ctx.Err() == nil {
			rq.s.log.LogAttrs(rq.ctx, slog.LevelError, "s3 GET failed mid-body", slog.String("request_id", rq.id),
				slog.String("bucket", rq.bucket), slog.String("key", rq.key), slog.String("version", info.VersionID), slog.Any("err", err))
		}
		panic(http.ErrAbortHandler)
	}
	return nil
}

// partRange returns the byte range of part n of a version. A version
// uploaded in one piece has exactly one part.
func partRange(info *engine.ObjectInfo, n int) (*byteRange, error) {
	if len(info.Parts) == 0 {
		if n != 1 {
			return nil, s3err.New(s3err.InvalidPartNumber, "")
		}
		if info.Size == 0 {
			return nil, nil
		}
		return &byteRange{start: 0, length: info.Size}, nil
	}
	if n > len(info.Parts) {
		return nil, s3err.New(s3err.InvalidPartNumber, "")
	}
	var off int64
	for _, p := range info.Parts[:n-1] {
		off += p.Size
	}
	size := info.Parts[n-1].Size
	if size == 0 {
		return nil, nil
	}
	return &byteRange{start: off, length: size}, nil
}

// bypassGovernance reports x-amz-bypass-governance-retention: true; see
// mayBypass for whether the caller may.
func (rq *request) bypassGovernance() bool {
	return strings.EqualFold(strings.TrimSpace(rq.r.Header.Get("x-amz-bypass-governance-retention")), "true")
}

func (rq *request) deleteObject() error {
	vid := rq.query.Get("versionId")
	res, err := rq.s.eng.DeleteObject(rq.ctx, rq.bucket, rq.key, engine.DeleteOptions{VersionID: vid, Bypass: rq.mayBypass(rq.key, vid)})
	if errors.Is(err, engine.ErrNoSuchVersion) {
		// As AWS: deleting a version that does not exist succeeds.
		rq.w.Header().Set("x-amz-version-id", vid)
		return rq.writeEmpty(http.StatusNoContent)
	}
	if err != nil {
		if errors.Is(err, engine.ErrInvalidVersionID) {
			return s3err.New(s3err.InvalidArgument, "Invalid version id specified").With("ArgumentName", "versionId").With("ArgumentValue", vid)
		}
		return objectErr(err, rq.bucket, rq.key)
	}
	h := rq.w.Header()
	if res.DeleteMarker {
		h.Set("x-amz-delete-marker", "true")
	}
	if res.VersionID != "" {
		if vid != "" {
			h.Set("x-amz-version-id", res.VersionID)
		} else {
			rq.setVersionHeader(res.VersionID)
		}
	}
	return rq.writeEmpty(http.StatusNoContent)
}
