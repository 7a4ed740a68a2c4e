package main

// The admin API is JSON over HTTP on the admin listener, the server side of
// `wormstore admin`:
//
//	GET  /admin/v1/buckets          {"buckets": [apiBucket…]}
//	GET  /admin/v1/buckets/{name}   apiBucket
//	GET  /admin/v1/stats            apiStats
//	GET  /admin/v1/segments         {"segments": [apiSegment…]}
//	POST /admin/v1/compact          apiCompactResult
//	     ?rate=BYTES_PER_SECOND     copy-rate cap (default 0 = unlimited)
//	     &min_garbage=FRACTION      0..1 (default 0 = every segment with garbage)
//	POST /admin/v1/verify           NDJSON (application/x-ndjson), one object per line:
//	                                {"done": N, "total": M}    zero or more, bytes of segments checked
//	                                {"report": apiVerifyReport} last line on success
//	                                {"error": "…", "code": "…"} last line if verify failed midway
//	GET  /admin/v1/audit…           the audit stream (adminapi_audit.go)
//	…    /admin/v1/users…           users, access keys, user policies (adminapi_iam.go)
//
// Every request must be signed with AWS Signature Version 4 by the root
// credentials, for the server's region and the service adminService
// (aws-sdk-go-v2's aws/signer/v4 does it; see adminClient). The request body
// is ignored, except a policy document's: every parameter is in the (signed)
// query. Errors are
// {"error": "message", "code": "Code"} with the status of adminErrorTable.
//
// Compaction and verification run within the request: a client that goes
// away cancels them.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/iam"
	"github.com/wormstore/wormstore/identity"
	"github.com/wormstore/wormstore/s3api/sigv4"
	"github.com/wormstore/wormstore/segment"
)

// adminPrefix is the path every admin API endpoint lives under.
const adminPrefix = "/admin/v1/"

// adminService is the SigV4 service name in admin requests' credential
// scope. It differs from S3's "s3" so that no signature made for one API is
// ever accepted by the other.
const adminService = "wormstore-admin"

// apiBucket describes a bucket. Object and byte counts are left out: they
// would need a scan of the bucket's versions.
type apiBucket struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	// Versioning is "Enabled", "Suspended" or "Off" (never enabled).
	Versioning       string        `json:"versioning"`
	ObjectLock       bool          `json:"object_lock"`
	DefaultRetention *apiRetention `json:"default_retention,omitempty"`
}

// apiRetention is a bucket's default retention; one of Days and Years is set.
type apiRetention struct {
	Mode  string `json:"mode"`
	Days  int    `json:"days,omitempty"`
	Years int    `json:"years,omitempty"`
}

// apiStats is engine.Stats on the wire.
type apiStats struct {
	Buckets           int       `json:"buckets"`
	Versions          int64     `json:"versions"`
	DeleteMarkers     int64     `json:"delete_markers"`
	Uploads           int64     `json:"uploads"`
	Parts             int64     `json:"parts"`
	Segments          int       `json:"segments"`
	SealedSegments    int       `json:"sealed_segments"`
	SegmentBytes      int64     `json:"segment_bytes"`
	LiveBytes         int64     `json:"live_bytes"`
	GarbageBytes      int64     `json:"garbage_bytes"`
	LockedBytes       int64     `json:"locked_bytes"`
	LockedVersions    int64     `json:"locked_versions"`
	WALLastLSN        uint64    `json:"wal_last_lsn"`
	ClockHighWater    time.Time `json:"clock_high_water"`
	CompactionRunning bool      `json:"compaction_running"`
	CompactedBytes    int64     `json:"compacted_bytes"`
	CompactedSegments int64     `json:"compacted_segments"`
}

// apiSegment describes one segment file (DATA/segments/<id %016x>.seg).
type apiSegment struct {
	ID uint64 `json:"id"`
	// State is "active" (receiving writes), "sealed" or "broken" (sealed
	// off after a failed write; repaired at the next start).
	State    string `json:"state"`
	Size     int64  `json:"size"`
	Blocks   int64  `json:"blocks"`
	RawBytes int64  `json:"raw_bytes"`
}

// apiCompactResult is engine.CompactResult on the wire.
type apiCompactResult struct {
	SegmentsRewritten int   `json:"segments_rewritten"`
	SegmentsRemoved   int   `json:"segments_removed"`
	BytesCopied       int64 `json:"bytes_copied"`
	BytesReclaimed    int64 `json:"bytes_reclaimed"`
}

// apiVerifyReport is engine.VerifyReport on the wire.
type apiVerifyReport struct {
	OK       bool         `json:"ok"`
	Segments int          `json:"segments"`
	Blocks   int64        `json:"blocks"`
	Bytes    int64        `json:"bytes"`
	Versions int64        `json:"versions"`
	Records  int64        `json:"wal_records"`
	Problems []apiProblem `json:"problems"`
}

// apiProblem is engine.Problem on the wire; Message is its one-line form.
type apiProblem struct {
	Kind      string `json:"kind"`
	Segment   uint64 `json:"segment,omitempty"`
	Offset    int64  `json:"offset,omitempty"`
	Bucket    string `json:"bucket,omitempty"`
	Key       string `json:"key,omitempty"`
	VersionID string `json:"version_id,omitempty"`
	Detail    string `json:"detail"`
	Message   string `json:"message"`
}

// apiVerifyProgress is a progress line of the verify stream.
type apiVerifyProgress struct {
	Done  int64 `json:"done"`
	Total int64 `json:"total"`
}

// apiError is the body of every error answer and the last line of a verify
// stream that failed midway.
type apiError struct {
	Message string `json:"error"`
	Code    string `json:"code"`
}

// adminError is an error with its API code and HTTP status, for the
// failures the handlers detect themselves (bad arguments, routing).
type adminError struct {
	status int
	code   string
	msg    string
}

func (e *adminError) Error() string { return e.msg }

// adminErrorTable maps engine and authentication errors to API codes and
// statuses; the first row whose error matches (errors.Is) wins. Anything
// else is InternalError, 500, and is logged.
var adminErrorTable = []struct {
	err    error
	code   string
	status int
}{
	{engine.ErrNoSuchBucket, "NoSuchBucket", http.StatusNotFound},
	{identity.ErrNoSuchUser, "NoSuchUser", http.StatusNotFound},
	{identity.ErrNoSuchAccessKey, "NoSuchAccessKey", http.StatusNotFound},
	{identity.ErrNoSuchPolicy, "NoSuchPolicy", http.StatusNotFound},
	{identity.ErrUserExists, "UserAlreadyExists", http.StatusConflict},
	{identity.ErrInvalidName, "InvalidName", http.StatusBadRequest},
	{iam.ErrMalformedPolicy, "MalformedPolicy", http.StatusBadRequest},
	{engine.ErrClosed, "ServerShuttingDown", http.StatusServiceUnavailable},
	{engine.ErrFailed, "EngineFailed", http.StatusServiceUnavailable},
	{context.Canceled, "Canceled", http.StatusServiceUnavailable},
	{sigv4.ErrMissingAuth, "AccessDenied", http.StatusForbidden},
	{sigv4.ErrInvalidAccessKeyID, "InvalidAccessKeyId", http.StatusForbidden},
	{sigv4.ErrSignatureDoesNotMatch, "SignatureDoesNotMatch", http.StatusForbidden},
	{sigv4.ErrRequestTimeTooSkewed, "RequestTimeTooSkewed", http.StatusForbidden},
	{sigv4.ErrAuthorizationHeaderMalformed, "AuthorizationHeaderMalformed", http.StatusForbidden},
	// A request body that does not match what was signed (policy uploads).
	{sigv4.ErrContentSHA256Mismatch, "XAmzContentSHA256Mismatch", http.StatusBadRequest},
	{sigv4.ErrIncompleteBody, "IncompleteBody", http.StatusBadRequest},
	{sigv4.ErrMalformedChunk, "MalformedChunk", http.StatusBadRequest},
}

// adminErrorOf returns the code and status of err.
func adminErrorOf(err error) (code string, status int) {
	var ae *adminError
	if errors.As(err, &ae) {
		return ae.code, ae.status
	}
	for _, row := range adminErrorTable {
		if errors.Is(err, row.err) {
			return row.code, row.status
		}
	}
	return "InternalError", http.StatusInternalServerError
}

// adminRoute handles one (method, path) of the API. It reaches the engine
// through adminAPI.withEngine. A returned error is written by writeError;
// a route that has started its response reports errors in it.
type adminRoute func(ctx context.Context, w http.ResponseWriter, r *http.Request) error

// adminAPI serves /admin/v1/. It answers 503 NotReady until attach hands it
// the engine (the admin listener is up during recovery) and again after
// detach. Safe for concurrent use.
type adminAPI struct {
	verifier *sigv4.Verifier
	log      *slog.Logger
	// routes is the routing table: path pattern ("buckets/{name}" for any
	// bucket name) → method → route. Read-only after newAdminAPI.
	routes map[string]map[string]adminRoute

	// stop is cancelled by detach; every route's context ends with it.
	stop   context.Context
	cancel context.CancelFunc

	// mu is held for reading while a route uses the engine (never while
	// it writes to the network), and for writing by attach and detach.
	mu  sync.RWMutex
	eng *engine.Engine // guarded by mu
	ids iamBackend     // guarded by mu; see attachIdentities

	// principals resolves access keys to users for authorisation; nil
	// until the identity store is attached (then only root exists).
	principals atomic.Pointer[identity.Store]
}

// newAdminAPI returns the admin API authenticating with v. log may be nil.
func newAdminAPI(v *sigv4.Verifier, log *slog.Logger) *adminAPI {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &adminAPI{verifier: v, log: log}
	a.stop, a.cancel = context.WithCancel(context.Background())
	a.routes = map[string]map[string]adminRoute{
		"buckets":        {http.MethodGet: a.listBuckets},
		"buckets/{name}": {http.MethodGet: a.bucketInfo},
		"stats":          {http.MethodGet: a.stats},
		"segments":       {http.MethodGet: a.segments},
		"compact":        {http.MethodPost: a.compact},
		"verify":         {http.MethodPost: a.verify},
		"audit":          {http.MethodGet: a.auditEntries},
		"audit/verify":   {http.MethodGet: a.auditVerify},
	}
	maps.Copy(a.routes, a.iamRoutes())
	maps.Copy(a.routes, a.clockRoutes())
	maps.Copy(a.routes, a.checkpointRoutes())
	return a
}

// attach makes the API serve eng.
func (a *adminAPI) attach(eng *engine.Engine) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.eng = eng
}

// detach cancels running compactions and verifications, waits until no
// route uses the engine any more and stops serving it, so the caller may
// close it.
func (a *adminAPI) detach() {
	a.cancel()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.eng = nil
}

// adminRouteKey returns the routing-table key of an admin path and the bucket
// name in it, if any.
func adminRouteKey(path string) (key, bucket string) {
	rest := strings.TrimPrefix(path, adminPrefix)
	if name, ok := strings.CutPrefix(rest, "buckets/"); ok && name != "" && !strings.Contains(name, "/") {
		return "buckets/{name}", name
	}
	return rest, ""
}

func (a *adminAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Authenticate before routing, so nothing about the API is revealed
	// to an unauthenticated client.
	rq, err := a.verifier.Verify(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), adminAuthKey{}, rq))
	key, bucket := adminRouteKey(r.URL.Path)
	if k, vals, ok := iamRouteKey(r.URL.Path); ok {
		key = k
		for n, v := range vals {
			r.SetPathValue(n, v)
		}
	}
	methods, ok := a.routes[key]
	if !ok {
		a.writeError(w, r, &adminError{http.StatusNotFound, "NotFound", fmt.Sprintf("no admin endpoint %s", r.URL.Path)})
		return
	}
	route, ok := methods[r.Method]
	if !ok {
		for m := range methods {
			w.Header().Add("Allow", m)
		}
		a.writeError(w, r, &adminError{http.StatusMethodNotAllowed, "MethodNotAllowed", fmt.Sprintf("%s does not accept %s", r.URL.Path, r.Method)})
		return
	}
	if bucket != "" {
		r.SetPathValue("name", bucket)
	}
	if err := a.authorizeAdmin(r, rq.AccessKey, key); err != nil {
		a.writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(a.stop, cancel)()
	if err := route(ctx, w, r); err != nil {
		a.writeError(w, r, err)
	}
}

// errNotReady answers requests while no engine is attached.
var errNotReady = &adminError{http.StatusServiceUnavailable, "NotReady",
	"the server is not ready (recovering or shutting down); retry when /health/ready answers 200"}

// withEngine calls f with the engine, which stays open until f returns.
func (a *adminAPI) withEngine(f func(eng *engine.Engine) error) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.eng == nil {
		return errNotReady
	}
	return f(a.eng)
}

// writeError answers with err as an API error. It is the one place errors
// are written.
func (a *adminAPI) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, status := adminErrorOf(err)
	msg := err.Error()
	if status == http.StatusInternalServerError {
		a.log.Error("admin API", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeAdminJSON(w, status, apiError{Message: msg, Code: code})
}

func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		// E.g. a time outside years 0-9999.
		status = http.StatusInternalServerError
		b, _ = json.Marshal(apiError{Message: "encode response: " + err.Error(), Code: "InternalError"})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func bucketToAPI(b *engine.BucketInfo) apiBucket {
	out := apiBucket{Name: b.Name, Created: b.Created.UTC(), Versioning: string(b.Versioning), ObjectLock: b.ObjectLock}
	if out.Versioning == "" {
		out.Versioning = "Off"
	}
	if d := b.DefaultRetention; d != nil {
		out.DefaultRetention = &apiRetention{Mode: string(d.Mode), Days: d.Days, Years: d.Years}
	}
	return out
}

func (a *adminAPI) listBuckets(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var bs []engine.BucketInfo
	err := a.withEngine(func(eng *engine.Engine) (err error) {
		bs, err = eng.ListBuckets(ctx)
		return err
	})
	if err != nil {
		return err
	}
	out := make([]apiBucket, len(bs))
	for i := range bs {
		out[i] = bucketToAPI(&bs[i])
	}
	writeAdminJSON(w, http.StatusOK, struct {
		Buckets []apiBucket `json:"buckets"`
	}{out})
	return nil
}

func (a *adminAPI) bucketInfo(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	var b *engine.BucketInfo
	err := a.withEngine(func(eng *engine.Engine) (err error) {
		b, err = eng.Bucket(ctx, name)
		return err
	})
	if err != nil {
		if errors.Is(err, engine.ErrNoSuchBucket) {
			return &adminError{http.StatusNotFound, "NoSuchBucket", fmt.Sprintf("no bucket %q", name)}
		}
		return err
	}
	writeAdminJSON(w, http.StatusOK, bucketToAPI(b))
	return nil
}

func (a *adminAPI) stats(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var st *engine.Stats
	err := a.withEngine(func(eng *engine.Engine) (err error) {
		st, err = eng.Stats(ctx)
		return err
	})
	if err != nil {
		return err
	}
	writeAdminJSON(w, http.StatusOK, apiStats{
		Buckets: st.Buckets, Versions: st.Versions, DeleteMarkers: st.DeleteMarkers,
		Uploads: st.Uploads, Parts: st.Parts,
		Segments: st.Segments, SealedSegments: st.SealedSegments,
		SegmentBytes: st.SegmentBytes, LiveBytes: st.LiveBytes, GarbageBytes: st.GarbageBytes,
		LockedBytes: st.LockedBytes, LockedVersions: st.LockedVersions,
		WALLastLSN: st.WALLastLSN, ClockHighWater: st.HighWater.UTC(),
		CompactionRunning: st.CompactionRunning, CompactedBytes: st.CompactedBytes, CompactedSegments: st.CompactedSegments,
	})
	return nil
}

func (a *adminAPI) segments(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var infos []segment.Info
	err := a.withEngine(func(eng *engine.Engine) error {
		infos = eng.Segments()
		return nil
	})
	if err != nil {
		return err
	}
	out := make([]apiSegment, len(infos))
	for i, si := range infos {
		state := "active"
		switch {
		case si.Broken:
			state = "broken"
		case si.Sealed:
			state = "sealed"
		}
		out[i] = apiSegment{ID: si.ID, State: state, Size: si.Size, Blocks: si.Blocks, RawBytes: si.RawBytes}
	}
	writeAdminJSON(w, http.StatusOK, struct {
		Segments []apiSegment `json:"segments"`
	}{out})
	return nil
}

func (a *adminAPI) compact(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	opts := engine.CompactOptions{SealActive: true}
	for name, vals := range r.URL.Query() {
		v := vals[len(vals)-1]
		switch {
		case name == "rate":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return &adminError{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("rate %q is not a number of bytes per second", v)}
			}
			opts.RateLimit = n
		case name == "min_garbage":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || !(f >= 0 && f <= 1) {
				return &adminError{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("min_garbage %q is not a fraction between 0 and 1", v)}
			}
			opts.MinGarbage = f
		case strings.HasPrefix(strings.ToLower(name), "x-amz-"):
			// Presigned-URL authentication.
		default:
			return &adminError{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("unknown parameter %q (want rate, min_garbage)", name)}
		}
	}
	a.log.Info("admin: compaction started", "rate", opts.RateLimit, "min_garbage", opts.MinGarbage)
	var res *engine.CompactResult
	err := a.withEngine(func(eng *engine.Engine) (err error) {
		res, err = eng.Compact(ctx, opts)
		return err
	})
	if err != nil {
		return fmt.Errorf("compaction: %w", err)
	}
	a.log.Info("admin: compaction done", "segments_removed", res.SegmentsRemoved, "bytes_reclaimed", res.BytesReclaimed)
	writeAdminJSON(w, http.StatusOK, apiCompactResult{
		SegmentsRewritten: res.SegmentsRewritten, SegmentsRemoved: res.SegmentsRemoved,
		BytesCopied: res.BytesCopied, BytesReclaimed: res.BytesReclaimed,
	})
	return nil
}

// verify streams progress while the engine verifies. Progress is handed to
// a writer goroutine without blocking, so a slow client never holds up
// Verify (or the engine's shutdown); lines in between may be skipped, but
// the last progress reported is always sent before the report.
func (a *adminAPI) verify(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var (
		latest  atomic.Pointer[apiVerifyProgress]
		signal  = make(chan struct{}, 1)
		done    = make(chan struct{})
		exited  = make(chan struct{})
		started bool // written by the writer goroutine; read after exited
		werr    error
	)
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	writeLine := func(v any) error {
		if !started {
			w.Header().Set("Content-Type", "application/x-ndjson")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusOK)
			started = true
		}
		if err := enc.Encode(v); err != nil {
			return err
		}
		return rc.Flush()
	}
	go func() {
		defer close(exited)
		var sent *apiVerifyProgress
		send := func() {
			if p := latest.Load(); p != nil && p != sent && werr == nil {
				sent = p
				werr = writeLine(p)
			}
		}
		for {
			select {
			case <-signal:
				send()
			case <-done:
				send()
				return
			}
		}
	}()
	a.log.Info("admin: verify started")
	var rep *engine.VerifyReport
	err := a.withEngine(func(eng *engine.Engine) (err error) {
		rep, err = eng.Verify(ctx, func(d, t int64) {
			latest.Store(&apiVerifyProgress{Done: d, Total: t})
			select {
			case signal <- struct{}{}:
			default:
			}
		})
		return err
	})
	close(done)
	<-exited
	if err != nil {
		err = fmt.Errorf("verify: %w", err)
		if !started {
			return err
		}
		code, _ := adminErrorOf(err)
		a.log.Error("admin: verify failed", "err", err)
		writeLine(apiError{Message: err.Error(), Code: code})
		return nil
	}
	if werr != nil {
		return nil // the client went away
	}
	out := apiVerifyReport{OK: rep.OK(), Segments: rep.Segments, Blocks: rep.Blocks, Bytes: rep.Bytes,
		Versions: rep.Versions, Records: rep.Records, Problems: make([]apiProblem, len(rep.Problems))}
	for i, p := range rep.Problems {
		out.Problems[i] = apiProblem{Kind: p.Kind, Segment: p.Segment, Offset: p.Offset, Bucket: p.Bucket,
			Key: p.Key, VersionID: p.VersionID, Detail: p.Detail, Message: p.String()}
	}
	a.log.Info("admin: verify done", "ok", out.OK, "problems", len(out.Problems))
	writeLine(struct {
		Report apiVerifyReport `json:"report"`
	}{out})
	return nil
}
