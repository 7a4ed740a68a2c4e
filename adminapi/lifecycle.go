package adminapi

// Lifecycle route of the admin API:
//
//	POST /admin/v1/lifecycle/run[?bucket=B]  LifecycleRun: run a lifecycle pass now (every
//	                                         bucket, or bucket B) and answer its counts
//
// The pass's removals are audited by the engine as the lifecycle worker's
// (source and principal "lifecycle") with this request's id, between the
// request's intent and result entries.

import (
	"context"
	"net/http"
	"strconv"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/lifecycle"
)

// LifecycleRun is the answer of POST lifecycle/run.
type LifecycleRun struct {
	RequestID string `json:"request_id"`
	Bucket    string `json:"bucket,omitempty"`
	lifecycle.Stats
	TookMS int64 `json:"took_ms"`
}

// AttachLifecycle makes POST lifecycle/run run passes of w. Until then the
// route answers 503 LifecycleUnavailable.
func (a *API) AttachLifecycle(w *lifecycle.Worker) { a.lifecycle.Store(w) }

var errLifecycleUnavailable = &StatusError{http.StatusServiceUnavailable, "LifecycleUnavailable", "the lifecycle worker is not running in this server"}

func (a *API) runLifecycle(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	lw := a.lifecycle.Load()
	if lw == nil {
		return errLifecycleUnavailable
	}
	bucket := r.URL.Query().Get("bucket")
	id := "admin"
	if rq, ok := ctx.Value(adminRequestKey{}).(*adminRequest); ok {
		id = rq.id
	}
	var st lifecycle.Stats
	err := a.withEngine(func(eng *engine.Engine) (err error) {
		if bucket != "" {
			if _, err := eng.Bucket(ctx, bucket); err != nil {
				return err
			}
		}
		st, err = lw.RunPass(ctx, bucket, id)
		return err
	})
	if err != nil {
		return err
	}
	for _, k := range lifecycle.ActionKinds {
		note(ctx, k.String(), strconv.FormatInt(st.Actions(k), 10))
	}
	note(ctx, "skipped_locked", strconv.FormatInt(st.SkippedLocked, 10))
	note(ctx, "errors", strconv.FormatInt(st.Errors, 10))
	a.log.Info("admin: lifecycle pass", "bucket", bucket, "skipped_locked", st.SkippedLocked, "errors", st.Errors)
	writeAdminJSON(w, http.StatusOK, LifecycleRun{RequestID: id, Bucket: bucket, Stats: st, TookMS: st.Took.Milliseconds()})
	return nil
}
