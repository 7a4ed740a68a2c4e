package s3api

import (
	"net/http"
	"time"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api/s3xml"
)

func (rq *request) putObjectRetention() error {
	data, err := rq.readXMLBody(true)
	if err != nil {
		return err
	}
	pr, err := s3xml.DecodeRetention(data)
	if err != nil {
		return err
	}
	if err := rq.authorizeBody("", pr.Mode, pr.Until); err != nil {
		return err
	}
	vid := rq.query.Get("versionId")
	ret := engine.Retention{Mode: engine.Mode(pr.Mode), Until: pr.Until}
	prev, next, err := rq.s.eng.PutObjectRetention(rq.ctx, rq.bucket, rq.key, vid, ret, rq.mayBypass(rq.key, vid))
	if err != nil {
		return objectErr(err, rq.bucket, rq.key)
	}
	rq.oldLock, rq.newLock = &prev, &next
	return rq.writeEmpty(http.StatusOK)
}

func (rq *request) getObjectRetention() error {
	ret, err := rq.s.eng.GetObjectRetention(rq.ctx, rq.bucket, rq.key, rq.query.Get("versionId"))
	if err != nil {
		return objectErr(err, rq.bucket, rq.key)
	}
	return rq.writeXML(http.StatusOK, s3xml.Retention{Mode: string(ret.Mode), RetainUntilDate: s3xml.FormatTime(ret.Until)})
}

func (rq *request) putObjectLegalHold() error {
	data, err := rq.readXMLBody(true)
	if err != nil {
		return err
	}
	on, err := s3xml.DecodeLegalHold(data)
	if err != nil {
		return err
	}
	hold := "OFF"
	if on {
		hold = "ON"
	}
	if err := rq.authorizeBody(hold, "", time.Time{}); err != nil {
		return err
	}
	prev, err := rq.s.eng.PutObjectLegalHold(rq.ctx, rq.bucket, rq.key, rq.query.Get("versionId"), on)
	if err != nil {
		return objectErr(err, rq.bucket, rq.key)
	}
	next := prev
	next.LegalHold, next.LegalHoldSet = on, true
	rq.oldLock, rq.newLock = &prev, &next
	return rq.writeEmpty(http.StatusOK)
}

func (rq *request) getObjectLegalHold() error {
	on, err := rq.s.eng.GetObjectLegalHold(rq.ctx, rq.bucket, rq.key, rq.query.Get("versionId"))
	if err != nil {
		return objectErr(err, rq.bucket, rq.key)
	}
	st := "OFF"
	if on {
		st = "ON"
	}
	return rq.writeXML(http.StatusOK, s3xml.LegalHold{Status: st})
}
