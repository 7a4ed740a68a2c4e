package adminapi

// Remote tier routes of the admin API:
//
//	GET  /admin/v1/tier                 TierStatus: target, counters, last remote error, tiered segments
//	PUT  /admin/v1/tier                 body tier.Config (JSON): check the remote (Object Lock,
//	                                    versioning), attach it, persist it; answers TierStatus
//	POST /admin/v1/tier/test            TierTest: check the configured remote now
//	POST /admin/v1/tier/move?segment=N  TierMove: move sealed segment N (decimal id) now;
//	     /admin/v1/tier/move?policy=true  or run the move policy once
//	GET  /admin/v1/tier/orphans         TierOrphans: remote versions no tiered segment records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/tier"
)

// TierControl configures the server's remote tier: it builds a client for
// cfg, checks the remote can lock, attaches it to the engine and persists
// the configuration (cmd/wormstore implements it).
type TierControl interface {
	Configure(ctx context.Context, eng *engine.Engine, cfg tier.Config) error
}

// TierSegment is one tiered segment.
type TierSegment struct {
	ID          uint64    `json:"id"`
	Key         string    `json:"key"`
	VersionID   string    `json:"version_id"`
	Size        int64     `json:"size"`
	RetainUntil time.Time `json:"retain_until"`
	LegalHold   bool      `json:"legal_hold,omitempty"`
}

// TierStatus is the answer of GET and PUT tier.
type TierStatus struct {
	Configured      bool          `json:"configured"`
	Target          string        `json:"target,omitempty"`
	Segments        []TierSegment `json:"segments"`
	Bytes           int64         `json:"bytes"`
	Uploads         int64         `json:"uploads"`
	UploadedBytes   int64         `json:"uploaded_bytes"`
	Retries         int64         `json:"retries"`
	Failures        int64         `json:"failures"`
	RemovedSegments int64         `json:"removed_segments"`
	CacheHits       int64         `json:"cache_hits"`
	CacheMisses     int64         `json:"cache_misses"`
	LastError       string        `json:"last_error,omitempty"`
	LastErrorOp     string        `json:"last_error_op,omitempty"`
	LastErrorAt     *time.Time    `json:"last_error_at,omitempty"`
}

// TierTest is the answer of POST tier/test.
type TierTest struct {
	Target string `json:"target"`
	OK     bool   `json:"ok"`
}

// TierMove is the answer of POST tier/move.
type TierMove struct {
	Moved []TierSegment `json:"moved"`
}

func tierStatusOf(eng *engine.Engine) TierStatus {
	st := eng.TierStatus()
	out := TierStatus{Configured: st.Configured, Target: st.Target, Bytes: st.Bytes, Uploads: st.Uploads,
		UploadedBytes: st.UploadedBytes, Retries: st.Retries, Failures: st.Failures, RemovedSegments: st.RemovedSegments,
		CacheHits: st.CacheHits, CacheMisses: st.CacheMisses, LastError: st.LastError, LastErrorOp: st.LastErrorOp,
		Segments: []TierSegment{}}
	if !st.LastErrorAt.IsZero() {
		t := st.LastErrorAt.UTC()
		out.LastErrorAt = &t
	}
	for _, s := range eng.TieredSegments() {
		out.Segments = append(out.Segments, TierSegment{ID: s.ID, Key: s.Key, VersionID: s.VersionID, Size: s.Size,
			RetainUntil: s.RetainUntil.UTC(), LegalHold: s.LegalHold})
	}
	return out
}

func (a *API) tierStatus(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var st TierStatus
	if err := a.withEngine(func(eng *engine.Engine) error {
		st = tierStatusOf(eng)
		return nil
	}); err != nil {
		return err
	}
	writeAdminJSON(w, http.StatusOK, st)
	return nil
}

// redactBody returns what the intent entry may record of an operation's
// body: the tier configuration without its secret key.
func redactBody(op string, body []byte) []byte {
	if op != "AdminSetTier" || body == nil {
		return body
	}
	var cfg tier.Config
	if err := json.Unmarshal(body, &cfg); err != nil {
		return []byte("(not a tier configuration)")
	}
	b, _ := json.Marshal(cfg.Redacted())
	return b
}

func (a *API) tierSet(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	rq, _ := ctx.Value(adminRequestKey{}).(*adminRequest)
	if rq == nil || rq.body == nil {
		return errors.New("admin API: tier configuration not read by ServeHTTP")
	}
	var cfg tier.Config
	dec := json.NewDecoder(strings.NewReader(string(rq.body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return &StatusError{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("the body is not a tier configuration: %v", err)}
	}
	if err := cfg.Validate(); err != nil {
		return &StatusError{http.StatusBadRequest, "InvalidArgument", err.Error()}
	}
	if a.tierCtl == nil {
		return fmt.Errorf("%w: this server cannot configure a tier at run time", engine.ErrTierNotConfigured)
	}
	var st TierStatus
	err := a.withEngine(func(eng *engine.Engine) error {
		if err := a.tierCtl.Configure(ctx, eng, cfg); err != nil {
			return err
		}
		st = tierStatusOf(eng)
		return nil
	})
	if err != nil {
		return fmt.Errorf("tier: %w", err)
	}
	note(ctx, "target", st.Target)
	a.log.Info("admin: remote tier configured", "target", st.Target)
	writeAdminJSON(w, http.StatusOK, st)
	return nil
}

func (a *API) tierTest(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var target string
	err := a.withEngine(func(eng *engine.Engine) error {
		target = eng.TierStatus().Target
		return eng.TierCheck(ctx)
	})
	if err != nil {
		return fmt.Errorf("tier test: %w", err)
	}
	writeAdminJSON(w, http.StatusOK, TierTest{Target: target, OK: true})
	return nil
}

func (a *API) tierMove(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var seg uint64
	policy := false
	for name, vals := range r.URL.Query() {
		v := vals[len(vals)-1]
		switch {
		case name == "segment":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil || n == 0 {
				return &StatusError{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("segment %q is not a segment id", v)}
			}
			seg = n
		case name == "policy":
			policy = v == "true"
		case strings.HasPrefix(strings.ToLower(name), "x-amz-"):
		default:
			return &StatusError{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("unknown parameter %q (want segment or policy)", name)}
		}
	}
	if (seg == 0) == !policy {
		return &StatusError{http.StatusBadRequest, "InvalidArgument", "give exactly one of segment=<id> or policy=true"}
	}
	out := TierMove{Moved: []TierSegment{}}
	err := a.withEngine(func(eng *engine.Engine) error {
		if policy {
			ids, err := eng.TierPolicy(ctx)
			for _, id := range ids {
				out.Moved = append(out.Moved, TierSegment{ID: id})
			}
			return err
		}
		res, err := eng.TierSegment(ctx, seg)
		if err != nil {
			return err
		}
		out.Moved = append(out.Moved, TierSegment{ID: res.Segment, Key: res.Key, VersionID: res.VersionID, Size: res.Bytes, RetainUntil: res.RetainUntil.UTC()})
		return nil
	})
	if err != nil {
		return fmt.Errorf("tier move: %w", err)
	}
	note(ctx, "moved", strconv.Itoa(len(out.Moved)))
	writeAdminJSON(w, http.StatusOK, out)
	return nil
}

// TierOrphan is a remote version no tiered segment records.
type TierOrphan struct {
	Key       string `json:"key"`
	VersionID string `json:"version_id"`
	Size      int64  `json:"size"`
}

// TierOrphans is the answer of GET tier/orphans.
type TierOrphans struct {
	Orphans []TierOrphan `json:"orphans"`
}

func (a *API) tierOrphans(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	out := TierOrphans{Orphans: []TierOrphan{}}
	err := a.withEngine(func(eng *engine.Engine) error {
		vs, err := eng.TierOrphans(ctx)
		for _, v := range vs {
			out.Orphans = append(out.Orphans, TierOrphan{Key: v.Key, VersionID: v.VersionID, Size: v.Size})
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("tier orphans: %w", err)
	}
	writeAdminJSON(w, http.StatusOK, out)
	return nil
}
