package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wormstore/wormstore/engine"
)

// describe turns an engine error into an HTTP status and a sentence for
// the user. It is the console's one error table (the S3 layer has its
// own); anything unexpected is logged and shown as an internal error.
func (c *Console) describe(err error) (int, string) {
	var le *engine.LockedError
	var de *deniedError
	switch {
	case errors.Is(err, engine.ErrAuditFailed):
		return http.StatusServiceUnavailable, "This action could not be recorded in the audit log, so it was not carried out. The server needs attention."
	case errors.Is(err, engine.ErrFailed), errors.Is(err, engine.ErrClosed):
		return http.StatusServiceUnavailable, "The server refuses changes after a storage failure until it is restarted."
	case errors.As(err, &de):
		return http.StatusForbidden, de.message()
	case errors.As(err, &le):
		return http.StatusForbidden, "Refused by Object Lock: " + lockReasonWords(le.Reason)
	case errors.Is(err, errForbidden):
		return http.StatusForbidden, "You are not allowed to do this (" + err.Error() + ")."
	case errors.Is(err, engine.ErrNoSuchBucket):
		return http.StatusNotFound, "There is no such bucket."
	case errors.Is(err, engine.ErrBucketExists):
		return http.StatusConflict, "A bucket with that name already exists."
	case errors.Is(err, engine.ErrBucketNotEmpty):
		return http.StatusConflict, "The bucket is not empty."
	case errors.Is(err, engine.ErrInvalidBucketName):
		return http.StatusBadRequest, "That is not a valid bucket name."
	case errors.Is(err, engine.ErrNoSuchKey):
		return http.StatusNotFound, "There is no such object (it may have been deleted: its latest version is a delete marker)."
	case errors.Is(err, engine.ErrNoSuchVersion), errors.Is(err, engine.ErrInvalidVersionID):
		return http.StatusNotFound, "There is no such version of this object."
	case errors.Is(err, engine.ErrMethodNotAllowed):
		return http.StatusMethodNotAllowed, "That version is a delete marker; it has no data, retention or legal hold."
	case errors.Is(err, engine.ErrInvalidRetention):
		return http.StatusBadRequest, "Invalid retention: " + afterEngine(err) + "."
	case errors.Is(err, engine.ErrLockNotEnabled):
		return http.StatusBadRequest, "Object Lock is not enabled on this bucket; it can only be chosen when the bucket is created."
	case errors.Is(err, engine.ErrInvalidBucketState):
		return http.StatusBadRequest, "The bucket's state does not allow this: " + afterEngine(err) + "."
	case errors.Is(err, engine.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, "The file is larger than the server accepts."
	case errors.Is(err, engine.ErrIncompleteBody):
		return http.StatusBadRequest, "The upload was cut short; please try again."
	case errors.Is(err, engine.ErrNoSuchUpload):
		return http.StatusNotFound, "The upload no longer exists (it was completed or cancelled)."
	case errors.Is(err, engine.ErrInvalidPart), errors.Is(err, engine.ErrInvalidPartOrder), errors.Is(err, engine.ErrEntityTooSmall):
		return http.StatusBadRequest, "The upload's parts did not fit together: " + afterEngine(err) + "."
	case errors.Is(err, engine.ErrInvalidArgument):
		return http.StatusBadRequest, "Invalid request: " + afterEngine(err) + "."
	}
	c.log.Error("console: internal error", "err", err)
	return http.StatusInternalServerError, "Internal error; the server log has the details."
}

// afterEngine strips the "engine: " prefix of a wrapped error message.
func afterEngine(err error) string {
	return strings.TrimPrefix(err.Error(), "engine: ")
}

// lockReasonWords rewrites the engine's lock reason with dates a person
// reads ("2027-01-10") and the consequence spelled out.
func lockReasonWords(reason string) string {
	out := reason
	for _, f := range strings.Fields(reason) {
		f = strings.TrimRight(f, ":,.")
		if t, err := time.Parse(time.RFC3339, f); err == nil {
			out = strings.Replace(out, f, t.UTC().Format("2006-01-02 15:04 UTC"), 1)
		}
	}
	out = strings.Replace(out, " cannot be bypassed by anyone", " — cannot be deleted by anyone", 1)
	return out
}

// protections lists, in words, everything that protects a version at now.
func protections(l engine.LockState, now time.Time) []string {
	var p []string
	if l.LegalHold {
		p = append(p, "legal hold is ON — cannot be deleted until the hold is released")
	}
	if r := l.Retention; r.ActiveAt(now) {
		switch r.Mode {
		case engine.ModeCompliance:
			p = append(p, "COMPLIANCE retention until "+day(r.Until)+" — cannot be deleted by anyone")
		case engine.ModeGovernance:
			p = append(p, "GOVERNANCE retention until "+day(r.Until)+" — deletable only with governance bypass")
		}
	}
	return p
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
