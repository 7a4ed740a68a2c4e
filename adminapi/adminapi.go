package adminapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
	"github.com/wormstore/wormstore/iam"
	"github.com/wormstore/wormstore/identity"
	"github.com/wormstore/wormstore/lifecycle"
	"github.com/wormstore/wormstore/s3api/sigv4"
	"github.com/wormstore/wormstore/segment"
	"github.com/wormstore/wormstore/tier"
)

// Prefix is the path every admin API endpoint lives under.
const Prefix = "/admin/v1/"

// Service is the SigV4 service name in admin requests' credential
// scope. It differs from S3's "s3" so that no signature made for one API is
// ever accepted by the other.
const Service = "wormstore-admin"

// Bucket describes a bucket. Object and byte counts are left out: they
// would need a scan of the bucket's versions.
type Bucket struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	// Versioning is "Enabled", "Suspended" or "Off" (never enabled).
	Versioning       string     `json:"versioning"`
	ObjectLock       bool       `json:"object_lock"`
	DefaultRetention *Retention `json:"default_retention,omitempty"`
}

// Retention is a bucket's default retention; one of Days and Years is set.
type Retention struct {
	Mode  string `json:"mode"`
	Days  int    `json:"days,omitempty"`
	Years int    `json:"years,omitempty"`
}

// Stats is engine.Stats on the wire.
type Stats struct {
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

// Segment describes one segment file (DATA/segments/<id %016x>.seg).
type Segment struct {
	ID uint64 `json:"id"`
	// State is "active" (receiving writes), "sealed" or "broken" (sealed
	// off after a failed write; repaired at the next start).
	State    string `json:"state"`
	Size     int64  `json:"size"`
	Blocks   int64  `json:"blocks"`
	RawBytes int64  `json:"raw_bytes"`
}

// CompactResult is engine.CompactResult on the wire.
type CompactResult struct {
	SegmentsRewritten int   `json:"segments_rewritten"`
	SegmentsRemoved   int   `json:"segments_removed"`
	BytesCopied       int64 `json:"bytes_copied"`
	BytesReclaimed    int64 `json:"bytes_reclaimed"`
}

// VerifyReport is engine.VerifyReport on the wire.
type VerifyReport struct {
	OK       bool      `json:"ok"`
	Segments int       `json:"segments"`
	Blocks   int64     `json:"blocks"`
	Bytes    int64     `json:"bytes"`
	Versions int64     `json:"versions"`
	Records  int64     `json:"wal_records"`
	Problems []Problem `json:"problems"`
}

// Problem is engine.Problem on the wire; Message is its one-line form.
type Problem struct {
	Kind      string `json:"kind"`
	Segment   uint64 `json:"segment,omitempty"`
	Offset    int64  `json:"offset,omitempty"`
	Bucket    string `json:"bucket,omitempty"`
	Key       string `json:"key,omitempty"`
	VersionID string `json:"version_id,omitempty"`
	Detail    string `json:"detail"`
	Message   string `json:"message"`
}

// VerifyProgress is a progress line of the verify stream.
type VerifyProgress struct {
	Done  int64 `json:"done"`
	Total int64 `json:"total"`
}

// ErrorBody is the body of every error answer and the last line of a verify
// stream that failed midway.
type ErrorBody struct {
	Message string `json:"error"`
	Code    string `json:"code"`
}

// StatusError is an error with its API code and HTTP status, for the
// failures the handlers (and Backend implementations) detect themselves:
// bad arguments, routing, an unknown user.
type StatusError struct {
	Status  int
	Code    string
	Message string
}

func (e *StatusError) Error() string { return e.Message }

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
	// Checkpoint failures an operator must act on.
	{engine.ErrCheckpointMismatch, "CheckpointMismatch", http.StatusConflict},
	{engine.ErrWALRetired, "WALRetired", http.StatusConflict},
	{engine.ErrCheckpointCorrupt, "CheckpointCorrupt", http.StatusConflict},
	// The audit stream could not take the request's entry: the request
	// is refused (or, after an applied change, reported failed).
	{ErrAuditUnavailable, "AuditUnavailable", http.StatusServiceUnavailable},
	// Remote tier (tier.go).
	{engine.ErrTierNotConfigured, "TierNotConfigured", http.StatusConflict},
	{engine.ErrTierNotEligible, "TierNotEligible", http.StatusConflict},
	{engine.ErrTierVerify, "TierVerifyFailed", http.StatusBadGateway},
	{tier.ErrNoObjectLock, "TierCannotLock", http.StatusBadRequest},
	{engine.ErrTierUnavailable, "TierUnavailable", http.StatusServiceUnavailable},
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
	var ae *StatusError
	if errors.As(err, &ae) {
		return ae.Code, ae.Status
	}
	for _, row := range adminErrorTable {
		if errors.Is(err, row.err) {
			return row.code, row.status
		}
	}
	return "InternalError", http.StatusInternalServerError
}

// adminRoute handles one (method, path) of the API. It reaches the engine
// through API.withEngine. A returned error is written by writeError;
// a route that has started its response reports errors in it.
type adminRoute func(ctx context.Context, w http.ResponseWriter, r *http.Request) error

// Config configures New.
type Config struct {
	// Region is the only region accepted in credential scopes. Required.
	Region string
	// Root resolves the root credentials. Until AttachIdentityStore, only
	// they authenticate. Required.
	Root sigv4.CredentialStore
	// Logger receives request failures. Default: discard.
	Logger *slog.Logger
	// Tier configures the server's remote tier for PUT tier; nil refuses
	// it (TierNotConfigured).
	Tier TierControl
}

// API serves /admin/v1/. It answers 503 NotReady until Attach hands it
// the engine (the admin listener is up during recovery) and again after
// Detach. Safe for concurrent use.
type API struct {
	verifier *sigv4.Verifier
	creds    *switchableCreds
	log      *slog.Logger
	// routes is the routing table built from the op table: route pattern
	// ("buckets/{name}" for any bucket name) → method → row. Read-only
	// after New.
	routes map[string]map[string]*opRow

	// stop is cancelled by Detach; every route's context ends with it.
	stop   context.Context
	cancel context.CancelFunc

	// mu is held for reading while a route uses the engine (never while
	// it writes to the network), and for writing by Attach and Detach.
	mu  sync.RWMutex
	eng *engine.Engine // guarded by mu
	// gate is the door every request goes through: authorization,
	// audit scope, op table. Guarded by mu; nil while eng is.
	gate *gate.Gate
	ids  Backend // guarded by mu; see AttachIdentities

	// tierCtl configures the remote tier (PUT tier); may be nil.
	tierCtl TierControl

	// principals resolves access keys to users for authorisation; nil
	// until the identity store is attached (then only root exists).
	principals atomic.Pointer[identity.Store]
	// lifecycle runs POST lifecycle/run; nil until AttachLifecycle.
	lifecycle atomic.Pointer[lifecycle.Worker]
}

// New returns the admin API authenticating with cfg's root credentials,
// SigV4 for cfg.Region and the service Service. It panics if cfg lacks
// Region or Root (a wiring bug).
func New(cfg Config) *API {
	if cfg.Region == "" || cfg.Root == nil {
		panic("adminapi.New: Config.Region and Config.Root are required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &API{creds: &switchableCreds{root: cfg.Root}, log: log, tierCtl: cfg.Tier}
	a.verifier = &sigv4.Verifier{Region: cfg.Region, Service: Service, Creds: a.creds}
	a.stop, a.cancel = context.WithCancel(context.Background())
	handlers := map[string]adminRoute{
		"AdminListBuckets":      a.listBuckets,
		"AdminGetBucket":        a.bucketInfo,
		"AdminGetStats":         a.stats,
		"AdminListSegments":     a.segments,
		"AdminCompact":          a.compact,
		"AdminVerify":           a.verify,
		"AdminReadAudit":        a.auditEntries,
		"AdminVerifyAudit":      a.auditVerify,
		"AdminListUsers":        a.listUsers,
		"AdminCreateUser":       a.createUser,
		"AdminGetUser":          a.getUser,
		"AdminDeleteUser":       a.deleteUser,
		"AdminListAccessKeys":   a.listKeys,
		"AdminCreateAccessKey":  a.createKey,
		"AdminDeleteAccessKey":  a.deleteKey,
		"AdminDisableAccessKey": a.setKeyStatus(false),
		"AdminEnableAccessKey":  a.setKeyStatus(true),
		"AdminListUserPolicies": a.listPolicies,
		"AdminAttachUserPolicy": a.putPolicy,
		"AdminGetUserPolicy":    a.getPolicy,
		"AdminDetachUserPolicy": a.deletePolicy,
		"AdminGetClock":         a.clock,
		"AdminCheckpoint":       a.checkpoint,
		"AdminListCheckpoints":  a.checkpoints,
		"AdminDeleteWALArchive": a.deleteWALArchive,
		"AdminRunLifecycle":     a.runLifecycle,
		"AdminGetSOSAPI":        a.getSOSAPI,
		"AdminEnableSOSAPI":     a.enableSOSAPI,
		"AdminDisableSOSAPI":    a.disableSOSAPI,
		"AdminGetTier":          a.tierStatus,
		"AdminSetTier":          a.tierSet,
		"AdminTestTier":         a.tierTest,
		"AdminTierMove":         a.tierMove,
		"AdminListTierOrphans":  a.tierOrphans,
	}
	a.routes = map[string]map[string]*opRow{}
	for _, op := range Ops() {
		h, ok := handlers[op.Name]
		if !ok {
			panic("adminapi: no handler for operation " + op.Name)
		}
		delete(handlers, op.Name)
		if a.routes[op.Route] == nil {
			a.routes[op.Route] = map[string]*opRow{}
		}
		a.routes[op.Route][op.Method] = &opRow{Op: op, handle: h}
	}
	if len(handlers) > 0 {
		panic(fmt.Sprintf("adminapi: handlers without an op table row: %v", slices.Sorted(maps.Keys(handlers))))
	}
	return a
}

// Attach makes the API serve eng through a gate of its own (for tools
// and tests that serve only the admin API). A server whose S3 API and
// console also serve eng uses AttachGate with their gate instead, so all
// doors share one anonymous-refusal limiter. It panics if the gate cannot
// be made (a nil engine: a wiring bug).
func (a *API) Attach(eng *engine.Engine) {
	g, err := gate.New(gate.Config{Engine: eng, Logger: a.log})
	if err != nil {
		panic("adminapi.Attach: " + err.Error())
	}
	a.AttachGate(g)
}

// AttachGate makes the API serve g's engine, authorize with g.Allowed and
// write its audit entries through g's scopes.
func (a *API) AttachGate(g *gate.Gate) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.eng, a.gate = g.Engine(), g
}

// Detach cancels running compactions and verifications, waits until no
// route uses the engine any more and stops serving it, so the caller may
// close it.
func (a *API) Detach() {
	a.cancel()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.eng, a.gate = nil, nil
}

// currentGate returns the attached gate, or nil.
func (a *API) currentGate() *gate.Gate {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.gate
}

// EngineErr reports the attached engine's sticky failure, if any.
func (a *API) EngineErr() error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.eng == nil {
		return nil
	}
	return a.eng.Err()
}

// adminRouteKey returns the routing-table key of an admin path and the bucket
// name in it, if any.
func adminRouteKey(path string) (key, bucket string) {
	rest := strings.TrimPrefix(path, Prefix)
	if name, ok := strings.CutPrefix(rest, "buckets/"); ok && name != "" && !strings.Contains(name, "/") {
		return "buckets/{name}", name
	}
	if name, ok := strings.CutPrefix(rest, "buckets/"); ok {
		if n, sub, ok := strings.Cut(name, "/"); ok && n != "" && sub == "sosapi" {
			return "buckets/{name}/sosapi", n
		}
	}
	return rest, ""
}

// lookup finds the op table row of r and sets r's path values. The error
// is a 404 or 405 *StatusError; row is nil then.
func (a *API) lookup(w http.ResponseWriter, r *http.Request) (*opRow, error) {
	key, bucket := adminRouteKey(r.URL.Path)
	if bucket != "" {
		r.SetPathValue("name", bucket)
	}
	if k, vals, ok := iamRouteKey(r.URL.Path); ok {
		key = k
		for n, v := range vals {
			r.SetPathValue(n, v)
		}
	}
	methods, ok := a.routes[key]
	if !ok {
		return nil, &StatusError{http.StatusNotFound, "NotFound", fmt.Sprintf("no admin endpoint %s", truncate(r.URL.Path, maxAuditField))}
	}
	row, ok := methods[r.Method]
	if !ok {
		for _, m := range slices.Sorted(maps.Keys(methods)) {
			w.Header().Add("Allow", m)
		}
		return nil, &StatusError{http.StatusMethodNotAllowed, "MethodNotAllowed", fmt.Sprintf("%s does not accept %s", r.URL.Path, r.Method)}
	}
	return row, nil
}

// ServeHTTP is the one door of the admin API: authenticate, route,
// authorise, audit, then run the operation. See the package doc for what
// is audited when.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rq := &adminRequest{id: newRequestID(), r: r, g: a.currentGate()}
	w.Header().Set("X-Request-Id", rq.id)
	// Route silently first, only to name a denied request in the audit
	// stream; nothing about the API is revealed before authentication.
	row, lookupErr := a.lookup(w, r)
	rq.row = row
	if rq.g != nil {
		rq.sc = rq.g.Begin(gate.DoorAdmin, rq.id, remoteHost(r.RemoteAddr))
		rq.sc.SetOp(rq.operation())
		rq.sc.SetTarget(truncate(r.PathValue("name"), maxAuditField), "", "")
	}
	auth, err := a.verifier.Verify(r)
	if err != nil {
		w.Header().Del("Allow")
		a.deny(w, rq, err)
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), adminAuthKey{}, auth))
	rq.r = r
	if lookupErr != nil {
		rq.setCaller(gate.Caller{Authenticated: true, AccessKey: auth.AccessKey})
		a.writeError(w, r, lookupErr)
		return
	}
	if err := a.authorizeAdmin(r.Context(), rq, auth.AccessKey, row.Op); err != nil {
		a.deny(w, rq, err)
		return
	}
	if row.Body {
		body, err := readAdminBody(r, MaxPolicySize)
		if err != nil {
			a.finish(w, rq, err)
			return
		}
		rq.body = body
	}
	rq.target, rq.doc = targetDetail(r, rq.body), docDetail(redactBody(row.Name, rq.body))
	if row.Mutating {
		// Identity and storage changes are recorded before they take
		// effect: no intent entry, no change.
		if err := a.recordIntent(rq); err != nil {
			rq.resultDone = true // the stream refused the intent; do not try again
			a.writeError(w, r, err)
			return
		}
	}
	ctx, cancel := context.WithCancel(context.WithValue(r.Context(), adminRequestKey{}, rq))
	defer cancel()
	defer context.AfterFunc(a.stop, cancel)()
	var out http.ResponseWriter = w
	if row.Audited {
		out = &auditedWriter{ResponseWriter: w, a: a, rq: rq}
	}
	if err := row.handle(ctx, out, r.WithContext(ctx)); err != nil {
		a.finish(out, rq, err)
	}
	if row.Audited && !rq.resultDone {
		// The handler answered nothing (the client went away midway).
		rq.err = errors.New("no response was sent")
		if err := a.recordResult(rq, 0); err != nil {
			a.log.Error("admin: audit append failed", "request_id", rq.id, "operation", row.Name, "err", err)
		}
	}
}

// finish answers err for an authorised request; the audited writer, if
// any, records the outcome before the answer goes out.
func (a *API) finish(w http.ResponseWriter, rq *adminRequest, err error) {
	rq.err = err
	if _, ok := w.(*auditedWriter); !ok && rq.row != nil && rq.row.Audited {
		w = &auditedWriter{ResponseWriter: w, a: a, rq: rq}
	}
	a.writeError(w, rq.r, err)
}

// errNotReady answers requests while no engine is attached.
var errNotReady = &StatusError{http.StatusServiceUnavailable, "NotReady",
	"the server is not ready (recovering or shutting down); retry when /health/ready answers 200"}

// withEngine calls f with the engine, which stays open until f returns.
func (a *API) withEngine(f func(eng *engine.Engine) error) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.eng == nil {
		return errNotReady
	}
	return f(a.eng)
}

// writeError answers with err as an API error. It is the one place errors
// are written.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, status := adminErrorOf(err)
	msg := err.Error()
	if status == http.StatusInternalServerError {
		a.log.Error("admin API", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeAdminJSON(w, status, ErrorBody{Message: msg, Code: code})
}

func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		// E.g. a time outside years 0-9999.
		status = http.StatusInternalServerError
		b, _ = json.Marshal(ErrorBody{Message: "encode response: " + err.Error(), Code: "InternalError"})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func bucketToAPI(b *engine.BucketInfo) Bucket {
	out := Bucket{Name: b.Name, Created: b.Created.UTC(), Versioning: string(b.Versioning), ObjectLock: b.ObjectLock}
	if out.Versioning == "" {
		out.Versioning = "Off"
	}
	if d := b.DefaultRetention; d != nil {
		out.DefaultRetention = &Retention{Mode: string(d.Mode), Days: d.Days, Years: d.Years}
	}
	return out
}

func (a *API) listBuckets(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var bs []engine.BucketInfo
	err := a.withEngine(func(eng *engine.Engine) (err error) {
		bs, err = eng.ListBuckets(ctx)
		return err
	})
	if err != nil {
		return err
	}
	out := make([]Bucket, len(bs))
	for i := range bs {
		out[i] = bucketToAPI(&bs[i])
	}
	writeAdminJSON(w, http.StatusOK, struct {
		Buckets []Bucket `json:"buckets"`
	}{out})
	return nil
}

func (a *API) bucketInfo(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	var b *engine.BucketInfo
	err := a.withEngine(func(eng *engine.Engine) (err error) {
		b, err = eng.Bucket(ctx, name)
		return err
	})
	if err != nil {
		if errors.Is(err, engine.ErrNoSuchBucket) {
			return &StatusError{http.StatusNotFound, "NoSuchBucket", fmt.Sprintf("no bucket %q", name)}
		}
		return err
	}
	writeAdminJSON(w, http.StatusOK, bucketToAPI(b))
	return nil
}

func (a *API) stats(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var st *engine.Stats
	err := a.withEngine(func(eng *engine.Engine) (err error) {
		st, err = eng.Stats(ctx)
		return err
	})
	if err != nil {
		return err
	}
	writeAdminJSON(w, http.StatusOK, Stats{
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

func (a *API) segments(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var infos []segment.Info
	err := a.withEngine(func(eng *engine.Engine) error {
		infos = eng.Segments()
		return nil
	})
	if err != nil {
		return err
	}
	out := make([]Segment, len(infos))
	for i, si := range infos {
		state := "active"
		switch {
		case si.Remote:
			state = "remote"
		case si.Broken:
			state = "broken"
		case si.Sealed:
			state = "sealed"
		}
		out[i] = Segment{ID: si.ID, State: state, Size: si.Size, Blocks: si.Blocks, RawBytes: si.RawBytes}
	}
	writeAdminJSON(w, http.StatusOK, struct {
		Segments []Segment `json:"segments"`
	}{out})
	return nil
}

func (a *API) compact(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	opts := engine.CompactOptions{SealActive: true}
	for name, vals := range r.URL.Query() {
		v := vals[len(vals)-1]
		switch {
		case name == "rate":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return &StatusError{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("rate %q is not a number of bytes per second", v)}
			}
			opts.RateLimit = n
		case name == "min_garbage":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || !(f >= 0 && f <= 1) {
				return &StatusError{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("min_garbage %q is not a fraction between 0 and 1", v)}
			}
			opts.MinGarbage = f
		case strings.HasPrefix(strings.ToLower(name), "x-amz-"):
			// Presigned-URL authentication.
		default:
			return &StatusError{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("unknown parameter %q (want rate, min_garbage)", name)}
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
	note(ctx, "segments_removed", strconv.Itoa(res.SegmentsRemoved))
	note(ctx, "bytes_reclaimed", strconv.FormatInt(res.BytesReclaimed, 10))
	a.log.Info("admin: compaction done", "segments_removed", res.SegmentsRemoved, "bytes_reclaimed", res.BytesReclaimed)
	writeAdminJSON(w, http.StatusOK, CompactResult{
		SegmentsRewritten: res.SegmentsRewritten, SegmentsRemoved: res.SegmentsRemoved,
		BytesCopied: res.BytesCopied, BytesReclaimed: res.BytesReclaimed,
	})
	return nil
}

// verify streams progress while the engine verifies. Progress is handed to
// a writer goroutine without blocking, so a slow client never holds up
// Verify (or the engine's shutdown); lines in between may be skipped, but
// the last progress reported is always sent before the report.
func (a *API) verify(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var (
		latest  atomic.Pointer[VerifyProgress]
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
		var sent *VerifyProgress
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
		rep, err = eng.VerifyWith(ctx, engine.VerifyOptions{Remote: r.URL.Query().Get("remote") == "true"}, func(d, t int64) {
			latest.Store(&VerifyProgress{Done: d, Total: t})
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
		writeLine(ErrorBody{Message: err.Error(), Code: code})
		return nil
	}
	if werr != nil {
		return nil // the client went away
	}
	out := VerifyReport{OK: rep.OK(), Segments: rep.Segments, Blocks: rep.Blocks, Bytes: rep.Bytes,
		Versions: rep.Versions, Records: rep.Records, Problems: make([]Problem, len(rep.Problems))}
	for i, p := range rep.Problems {
		out.Problems[i] = Problem{Kind: p.Kind, Segment: p.Segment, Offset: p.Offset, Bucket: p.Bucket,
			Key: p.Key, VersionID: p.VersionID, Detail: p.Detail, Message: p.String()}
	}
	a.log.Info("admin: verify done", "ok", out.OK, "problems", len(out.Problems))
	writeLine(struct {
		Report VerifyReport `json:"report"`
	}{out})
	return nil
}
