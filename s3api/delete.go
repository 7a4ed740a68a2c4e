package s3api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
	"github.com/wormstore/wormstore/s3api/s3err"
	"github.com/wormstore/wormstore/s3api/s3xml"
)

// deleteObjects is DeleteObjects: every key is attempted, whatever happens
// to the others; failures are per-key <Error> entries in a 200 answer.
// Every key gets its own audit entry with its outcome, written before the
// answer: a deletion by the engine in its commit, a refusal or error here.
func (rq *request) deleteObjects() error {
	data, err := rq.readXMLBody(true)
	if err != nil {
		return err
	}
	d, err := s3xml.DecodeDelete(data)
	if err != nil {
		return err
	}
	if _, err := rq.s.eng.Bucket(rq.ctx, rq.bucket); err != nil {
		return bucketErr(err, rq.bucket)
	}
	res := s3xml.DeleteResult{}
	for _, o := range d.Objects {
		if err := rq.ctx.Err(); err != nil {
			return err
		}
		var r *engine.DeleteResult
		ok, err := rq.deleteKeyAllowed(o.Key, o.VersionID)
		switch {
		case err != nil:
		case !ok:
			err = s3err.New(s3err.AccessDenied, "")
		default:
			r, err = rq.s.eng.DeleteObject(rq.ctx, rq.bucket, o.Key, engine.DeleteOptions{VersionID: o.VersionID, Bypass: rq.mayBypass(o.Key, o.VersionID)})
		}
		if err != nil {
			if aerr := rq.auditKey(o.Key, o.VersionID, err); aerr != nil {
				return aerr
			}
		}
		switch {
		case errors.Is(err, engine.ErrNoSuchVersion):
			// As AWS: a version that does not exist counts as deleted.
			res.Deleted = append(res.Deleted, s3xml.DeletedEntry{Key: o.Key, VersionID: o.VersionID})
		case err != nil:
			se := s3err.FromError(err)
			if se.IsServerError() {
				rq.s.log.LogAttrs(rq.ctx, slog.LevelError, "DeleteObjects entry failed", slog.String("request_id", rq.id),
					slog.String("bucket", rq.bucket), slog.String("key", o.Key), slog.String("version", o.VersionID), slog.Any("err", err))
			}
			res.Errors = append(res.Errors, s3xml.DeleteErrorEntry{Key: o.Key, VersionID: o.VersionID, Code: string(se.Code), Message: se.Message})
		case !d.Quiet:
			e := s3xml.DeletedEntry{Key: o.Key, VersionID: o.VersionID}
			if r.DeleteMarker {
				e.DeleteMarker, e.DeleteMarkerVersionID = true, r.VersionID
			}
			res.Deleted = append(res.Deleted, e)
		}
	}
	if d.Quiet {
		res.Deleted = nil
	}
	return rq.writeXML(http.StatusOK, res)
}

// auditKey records the outcome of one DeleteObjects key that the engine
// did not delete (it records its deletions itself): refused, or a version
// that did not exist (reported as deleted, as AWS does).
func (rq *request) auditKey(key, versionID string, err error) error {
	ent := engine.AuditEntry{Operation: "DeleteObjects", Key: key, VersionID: versionID, Bypass: rq.bypassGovernance()}
	se := s3err.FromError(err)
	switch {
	case errors.Is(err, engine.ErrNoSuchVersion):
		ent.Outcome, ent.Detail = engine.AuditOK, "no such version: nothing deleted, reported as deleted"
	default:
		ent.Outcome, ent.Status, ent.Detail = gate.Outcome(se.HTTPStatus(), err), se.HTTPStatus(), string(se.Code)+": "+err.Error()
	}
	return rq.scope.Record(rq.ctx, ent)
}
