package s3api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
	"github.com/wormstore/wormstore/identity"
	"github.com/wormstore/wormstore/s3api/s3err"
	"github.com/wormstore/wormstore/s3api/s3xml"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// Config configures a Server. The zero value of every field but Engine and
// Credentials means "use the default" documented on it. New copies Config.
type Config struct {
	// Engine stores the data. Required.
	Engine *engine.Engine
	// Region is the only region accepted in credential scopes and
	// LocationConstraint. Default "us-east-1".
	Region string
	// Credentials resolves access keys to secrets. Required.
	Credentials sigv4.CredentialStore
	// VirtualHostDomain enables virtual-hosted-style requests
	// (bucket.VirtualHostDomain); "" means path-style only. Path-style
	// requests are always accepted.
	VirtualHostDomain string
	// Logger receives one line per request and server errors. Default:
	// discard.
	Logger *slog.Logger
	// Clock is the time SigV4 skew and presigned expiry are judged
	// against. Default time.Now.
	Clock func() time.Time
	// MaxXMLBody caps XML request bodies. Default 1 MiB, enough for a
	// DeleteObjects of 1000 keys.
	MaxXMLBody int64
	// Principals tells who an access key authenticates as; every request
	// is then authorized against the user's identity policies and the
	// bucket policy. Nil means every authenticated caller is root.
	Principals PrincipalStore
	// Gate is the door shared with the console and the admin API:
	// authorization on the engine's clock and the audit writer. Nil means
	// New creates one for Engine with gate defaults.
	Gate *gate.Gate
	// Observe, if set, is called once per request after it is answered,
	// with the S3 operation name ("" if the request never reached one),
	// the HTTP status and the duration (metrics).
	Observe func(op string, status int, d time.Duration)
}

// DefaultRegion is the region used when Config.Region is empty.
const DefaultRegion = "us-east-1"

// DefaultMaxXMLBody is the default cap on XML request bodies.
const DefaultMaxXMLBody = 1 << 20

// serverName is the value of the Server response header.
const serverName = "wormstore"

// Server is the S3 HTTP handler. It is safe for concurrent use.
type Server struct {
	eng      *engine.Engine
	region   string
	domain   string
	log      *slog.Logger
	clock    func() time.Time
	maxXML   int64
	verifier *sigv4.Verifier
	observe  func(op string, status int, d time.Duration)
	routes   map[routeKey]route
	// principals is nil when everyone is root.
	principals PrincipalStore
	gate       *gate.Gate
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil {
		return nil, errors.New("s3api: Config.Engine is nil")
	}
	if cfg.Credentials == nil {
		return nil, errors.New("s3api: Config.Credentials is nil")
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.MaxXMLBody == 0 {
		cfg.MaxXMLBody = DefaultMaxXMLBody
	}
	if cfg.MaxXMLBody < 0 {
		return nil, fmt.Errorf("s3api: Config.MaxXMLBody %d is negative", cfg.MaxXMLBody)
	}
	if cfg.Gate == nil {
		g, err := gate.New(gate.Config{Engine: cfg.Engine, Logger: cfg.Logger})
		if err != nil {
			return nil, err
		}
		cfg.Gate = g
	}
	domain := strings.ToLower(strings.Trim(cfg.VirtualHostDomain, "."))
	return &Server{
		eng:    cfg.Engine,
		region: cfg.Region,
		domain: domain,
		log:    cfg.Logger,
		clock:  cfg.Clock,
		maxXML: cfg.MaxXMLBody,
		verifier: &sigv4.Verifier{
			Region: cfg.Region,
			Creds:  cfg.Credentials,
			Clock:  cfg.Clock,
		},
		routes:     routeTable(),
		principals: cfg.Principals,
		gate:       cfg.Gate,
		observe:    cfg.Observe,
	}, nil
}

// request is the state of one S3 request as it passes through the
// handlers.
type request struct {
	s      *Server
	w      *responseWriter
	r      *http.Request
	ctx    context.Context
	id     string
	bucket string
	key    string
	query  url.Values
	auth   *sigv4.Request
	op     string
	// principal is who the access key stands for; nil without a
	// PrincipalStore (root).
	principal *identity.Principal
	// Lock changes the handler made (informational: the engine's own
	// audit entry records what it changed).
	oldLock, newLock *engine.LockState
	// scope is the request's audit writer and caller (package gate).
	scope *gate.Scope
	// auditErr is the error being answered, for the audit entry.
	auditErr error
	// body is r.Body as installed by installClientBody; nil without a
	// body.
	body *clientBody
}

// responseWriter records the status and size of a response for logging
// and tells the error writer whether headers are already out. Before the
// status line goes out it runs before (the audit entry): if that fails,
// the response is replaced by a 503 and the handler's own body dropped.
type responseWriter struct {
	http.ResponseWriter
	status int
	n      int64
	// before runs once, before the header is written, with the status
	// about to be sent; an error replaces the response.
	before  func(status int) error
	replace func(err error)
	// dropped is set once the handler's response was replaced.
	dropped bool
}

// errResponseReplaced is returned to a handler writing a body after its
// response was replaced by the audit failure's 503.
var errResponseReplaced = errors.New("s3api: response replaced: the request's audit entry could not be written")

func (w *responseWriter) WriteHeader(code int) {
	if w.dropped {
		return
	}
	if w.status == 0 && w.before != nil {
		before := w.before
		w.before = nil
		if err := before(code); err != nil {
			w.dropped = true
			w.replace(err)
			return
		}
	}
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 && !w.dropped {
		w.WriteHeader(http.StatusOK)
	}
	if w.dropped {
		return 0, errResponseReplaced
	}
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// newRequestID returns 16 upper-case hex digits, like AWS's request ids.
func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// ServeHTTP implements http.Handler: it authenticates the request, routes
// it through the route table and answers errors as S3 XML documents. The
// request's audit entry is written before its response goes out; when it
// cannot be, the answer is 503 ServiceUnavailable instead.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := &responseWriter{ResponseWriter: w}
	id := newRequestID()
	h := w.Header()
	h.Set("x-amz-request-id", id)
	h.Set("x-amz-id-2", hostID(id))
	h.Set("Server", serverName)
	ip := r.RemoteAddr
	if host, _, err := net.SplitHostPort(ip); err == nil {
		ip = host
	}
	scope := s.gate.Begin(gate.DoorS3, id, ip)
	rq := &request{s: s, w: rw, r: r, ctx: scope.Context(r.Context()), id: id, query: r.URL.Query(), scope: scope}
	rw.before = func(status int) error { return s.auditRequest(rq, status) }
	rw.replace = func(err error) { s.replaceResponse(rq, err) }
	err := s.serve(rq)
	if err != nil {
		rq.auditErr = err
		s.writeError(rq, err)
	}
	if rw.status == 0 && !rw.dropped {
		// The handler wrote nothing; net/http answers 200 once we return,
		// so the audit entry still precedes the response.
		rw.WriteHeader(http.StatusOK)
	}
	s.logRequest(rq, start, err)
	if s.observe != nil {
		s.observe(rq.op, rq.w.status, time.Since(start))
	}
}

// auditRequest writes the request's audit entry through its gate scope,
// just before the response's status line: mutating, lock-related and
// denied requests are recorded (mutations by the engine itself, in their
// commit). An error means the entry could not be written.
func (s *Server) auditRequest(rq *request, status int) error {
	sc := rq.scope
	if rq.op == "" {
		sc.SetOp(rq.r.Method)
	} else {
		sc.SetOp(rq.effectiveOp())
	}
	vid := rq.query.Get("versionId")
	sc.SetTarget(rq.bucket, rq.key, vid)
	sc.SetBypassRequested(rq.bypassGovernance())
	err := sc.Finish(rq.ctx, gate.Result{Status: status, Err: rq.auditErr, VersionID: rq.w.Header().Get("x-amz-version-id")})
	if err != nil && status >= 500 {
		// The answer is already a server failure and nothing was done;
		// keep its more precise code (InsufficientStorage, say). The
		// engine has failed, so /health/ready reports it.
		s.log.LogAttrs(rq.ctx, slog.LevelError, "audit append failed", slog.String("request_id", rq.id), slog.Any("err", err))
		return nil
	}
	return err
}

// replaceResponse answers 503 ServiceUnavailable in place of a response
// whose audit entry could not be written: the handler's headers are
// dropped, and so is any body it writes next.
func (s *Server) replaceResponse(rq *request, err error) {
	s.log.LogAttrs(rq.ctx, slog.LevelError, "audit append failed; answering 503", slog.String("request_id", rq.id), slog.Any("err", err))
	h := rq.w.Header()
	for k := range h {
		switch k {
		case "X-Amz-Request-Id", "X-Amz-Id-2", "Server":
		default:
			delete(h, k)
		}
	}
	se := s3err.New(s3err.ServiceUnavailable, "The request could not be recorded in the audit log; it was not carried out.")
	status := se.HTTPStatus()
	rq.w.status = status
	if rq.r.Method == http.MethodHead {
		rq.w.ResponseWriter.WriteHeader(status)
		return
	}
	body := errorDocument(se, rq.r.URL.Path, rq.id)
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	rq.w.ResponseWriter.WriteHeader(status)
	rq.w.ResponseWriter.Write(body)
}

// hostID derives the x-amz-id-2 value from the request id.
func hostID(id string) string {
	sum := sha256.Sum256([]byte("wormstore/" + id))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// serve authenticates, routes and authorizes rq, then runs its handler.
// Everything before the handler reads only the request line and headers:
// an anonymous, badly signed or over-long request is answered (and its
// connection closed, see writeError) without reading the body, so
// net/http sends "100 Continue" only to a request that passed
// authentication.
func (s *Server) serve(rq *request) error {
	rq.installClientBody()
	if err := s.parseTarget(rq); err != nil {
		return err
	}
	// Before authentication: a key S3 would refuse anyway must not cost
	// a signature check, and is not what an unauthenticated caller may
	// make the server log or audit in full.
	if len(rq.key) > maxKeyLength {
		return s3err.New(s3err.KeyTooLongError, "").With("Size", strconv.Itoa(len(rq.key))).With("MaxSizeAllowed", strconv.Itoa(maxKeyLength))
	}
	auth, err := s.verifier.Verify(rq.r)
	if err != nil {
		return err
	}
	rq.auth = auth
	if err := s.resolvePrincipal(rq); err != nil {
		return err
	}
	rt, err := s.lookup(rq)
	if err != nil {
		return err
	}
	rq.op = rt.name
	if err := rq.authorize(); err != nil {
		return err
	}
	return rt.fn(rq)
}

// parseTarget splits the request into bucket and key, path-style or
// virtual-hosted-style. The path is used exactly as sent (decoded once):
// "//", "." and ".." are part of keys.
func (s *Server) parseTarget(rq *request) error {
	p := rq.r.URL.Path
	if p == "" {
		p = "/"
	}
	if p[0] != '/' {
		return s3err.New(s3err.InvalidURI, "")
	}
	if b, ok := s.virtualHostBucket(rq.r.Host); ok {
		rq.bucket, rq.key = b, p[1:]
	} else {
		rq.bucket, rq.key, _ = strings.Cut(p[1:], "/")
	}
	return nil
}

// maxKeyLength is S3's limit on key length in bytes.
const maxKeyLength = 1024

// virtualHostBucket returns the bucket named by a virtual-hosted-style Host
// header ("bucket.s3.example.com"), if virtual hosting is enabled.
func (s *Server) virtualHostBucket(host string) (string, bool) {
	if s.domain == "" {
		return "", false
	}
	host = strings.ToLower(host)
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "[") {
		host = h
	}
	b, ok := strings.CutSuffix(host, "."+s.domain)
	if !ok || b == "" {
		return "", false
	}
	return b, true
}

// writeError answers err as an S3 error document (headers only for HEAD
// and 304). If the response has started, it can only be logged.
func (s *Server) writeError(rq *request, err error) {
	se := s3err.FromError(err)
	if se.IsServerError() {
		s.log.LogAttrs(rq.ctx, slog.LevelError, "s3 request failed", slog.String("request_id", rq.id),
			slog.String("op", rq.op), slog.String("bucket", rq.bucket), slog.String("key", rq.key), slog.Any("err", err))
	}
	if rq.w.status != 0 {
		return
	}
	h := rq.w.Header()
	for k, vs := range se.Header {
		h[k] = vs
	}
	if rq.bodyUnread() {
		// Answer now and close rather than let net/http drain (wait
		// for) a body nobody will read; a client waiting for
		// "100 Continue" then gets the error instead.
		h.Set("Connection", "close")
	}
	status := se.HTTPStatus()
	if rq.r.Method == http.MethodHead || status == http.StatusNotModified {
		rq.w.WriteHeader(status)
		return
	}
	resource := rq.r.URL.Path
	if rq.bucket != "" && !strings.HasPrefix(resource, "/"+rq.bucket) {
		resource = "/" + rq.bucket + resource
	}
	body := errorDocument(se, resource, rq.id)
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	rq.w.WriteHeader(status)
	rq.w.Write(body)
}

// errorDocument renders <Error> with Code, Message, the code's extra
// fields, Resource, RequestId and HostId.
func errorDocument(se *s3err.Error, resource, id string) []byte {
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString("<Error>")
	elem := func(name, value string) {
		b.WriteString("<" + name + ">")
		xml.EscapeText(&b, []byte(value))
		b.WriteString("</" + name + ">")
	}
	elem("Code", string(se.Code))
	elem("Message", se.Message)
	for _, f := range se.Fields {
		elem(f[0], f[1])
	}
	elem("Resource", resource)
	elem("RequestId", id)
	elem("HostId", hostID(id))
	b.WriteString("</Error>")
	return []byte(b.String())
}

func (s *Server) logRequest(rq *request, start time.Time, err error) {
	if !s.log.Enabled(rq.ctx, slog.LevelInfo) {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", rq.id),
		slog.String("op", rq.op),
		slog.String("method", rq.r.Method),
		slog.String("bucket", rq.bucket),
		slog.String("key", rq.key),
		slog.Int("status", rq.w.status),
		slog.Int64("bytes_out", rq.w.n),
		slog.Duration("duration", time.Since(start)),
	}
	if v := rq.query.Get("versionId"); v != "" {
		attrs = append(attrs, slog.String("version", v))
	}
	if rq.auth != nil {
		attrs = append(attrs, slog.String("access_key", rq.auth.AccessKey))
	}
	if u := rq.userName(); u != "" {
		attrs = append(attrs, slog.String("user", u))
	}
	if err != nil {
		attrs = append(attrs, slog.String("err", err.Error()))
	}
	s.log.LogAttrs(rq.ctx, slog.LevelInfo, "s3 request", attrs...)
}

// writeXML answers status with v as an XML document.
func (rq *request) writeXML(status int, v any) error {
	body, err := xml.Marshal(v)
	if err != nil {
		return fmt.Errorf("s3api: encoding response: %w", err)
	}
	h := rq.w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(xml.Header)+len(body)))
	rq.w.WriteHeader(status)
	io.WriteString(rq.w, xml.Header)
	rq.w.Write(body)
	return nil
}

// writeEmpty answers status with no body.
func (rq *request) writeEmpty(status int) error {
	if status != http.StatusNoContent && status != http.StatusNotModified {
		rq.w.Header().Set("Content-Length", "0")
	}
	rq.w.WriteHeader(status)
	return nil
}

// owner is the owner reported in listings: the authenticated access key.
func (rq *request) owner() s3xml.Owner {
	ak := ""
	if rq.auth != nil {
		ak = rq.auth.AccessKey
	}
	sum := sha256.Sum256([]byte("wormstore-owner/" + ak))
	return s3xml.Owner{ID: hex.EncodeToString(sum[:]), DisplayName: ak}
}

// readXMLBody reads a size-capped XML request body through the SigV4
// reader, so the payload hash, chunk signatures and any Content-MD5 or
// x-amz-checksum-* are verified before the document is trusted. With
// requireIntegrity, the request must carry Content-MD5 or an
// x-amz-checksum-* header or trailer (the operations whose AWS model says
// "checksum required").
func (rq *request) readXMLBody(requireIntegrity bool) ([]byte, error) {
	if requireIntegrity {
		cr, err := rq.auth.ChecksumRequest()
		if err != nil {
			return nil, err
		}
		if cr.ContentMD5 == nil && cr.Algorithm == "" {
			return nil, s3err.New(s3err.InvalidRequest, "Missing required header for this request: Content-MD5 or x-amz-checksum-*")
		}
	}
	if rq.r.ContentLength > rq.s.maxXML {
		return nil, s3err.New(s3err.MaxMessageLengthExceeded, "")
	}
	body, err := rq.auth.Body(rq.r.Body)
	if err != nil {
		return nil, err
	}
	return readCapped(body, rq.s.maxXML)
}

// readXMLBodyNoChecksum reads a size-capped body whose x-amz-checksum-*
// headers describe something else than the body (CompleteMultipartUpload,
// where they carry the object's checksum). The SigV4 payload protection is
// still verified: a signed SHA-256 here, the sigv4 reader otherwise.
func (rq *request) readXMLBodyNoChecksum() ([]byte, error) {
	if rq.r.ContentLength > rq.s.maxXML {
		return nil, s3err.New(s3err.MaxMessageLengthExceeded, "")
	}
	cr, _ := rq.auth.ChecksumRequest()
	if cr.Algorithm == "" || cr.Trailer {
		body, err := rq.auth.Body(rq.r.Body)
		if err != nil {
			return nil, err
		}
		return readCapped(body, rq.s.maxXML)
	}
	var src io.Reader = http.NoBody
	if rq.r.Body != nil {
		src = rq.r.Body
	}
	switch rq.auth.PayloadMode {
	case sigv4.Unsigned:
		return readCapped(src, rq.s.maxXML)
	case sigv4.SignedSHA256:
		data, err := readCapped(src, rq.s.maxXML)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != rq.auth.ContentSHA256 {
			return nil, sigv4.ErrContentSHA256Mismatch
		}
		return data, nil
	}
	return nil, s3err.New(s3err.InvalidRequest, "x-amz-checksum-* headers on this request must come with a non-streaming payload")
}

// readCapped reads r to EOF, failing with MaxMessageLengthExceeded beyond
// max bytes.
func readCapped(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, s3err.New(s3err.MaxMessageLengthExceeded, "")
	}
	return data, nil
}

// setVersionHeader sets x-amz-version-id as S3 does: version ids always,
// "null" only on buckets that have had versioning.
func (rq *request) setVersionHeader(vid string) {
	if vid == "" {
		return
	}
	if vid == engine.NullVersionID {
		bi, err := rq.s.eng.Bucket(rq.ctx, rq.bucket)
		if err != nil || bi.Versioning == engine.VersioningOff {
			return
		}
	}
	rq.w.Header().Set("x-amz-version-id", vid)
}

// quoteETag returns the ETag in double quotes, as S3 sends it.
func quoteETag(etag string) string { return `"` + etag + `"` }
