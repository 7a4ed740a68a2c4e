package s3api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/wormstore/wormstore/iam"
	"github.com/wormstore/wormstore/s3api/s3err"
)

// putBucketPolicy is PutBucketPolicy: the document must parse as a bucket
// policy (MalformedPolicy with the parser's message otherwise) and every
// Resource must lie within the bucket.
func (rq *request) putBucketPolicy() error {
	if _, err := rq.s.eng.Bucket(rq.ctx, rq.bucket); err != nil {
		return bucketErr(err, rq.bucket)
	}
	data, err := rq.readXMLBody(false)
	if err != nil {
		return err
	}
	p, err := iam.ParseBucketPolicy(data)
	if err != nil {
		var me *iam.MalformedError
		if errors.As(err, &me) {
			return s3err.New(s3err.MalformedPolicy, me.Msg)
		}
		return err
	}
	bucketARN := iam.BucketARN(rq.bucket)
	for i, st := range p.Statements {
		for _, r := range append(append([]string(nil), st.Resource...), st.NotResource...) {
			if r != bucketARN && !strings.HasPrefix(r, bucketARN+"/") {
				return s3err.New(s3err.MalformedPolicy, "Policy has invalid resource: Statement["+strconv.Itoa(i)+"] names "+strconv.Quote(r)+", outside bucket "+rq.bucket)
			}
		}
	}
	if err := rq.s.eng.SetBucketPolicy(rq.ctx, rq.bucket, data); err != nil {
		return bucketErr(err, rq.bucket)
	}
	return rq.writeEmpty(http.StatusNoContent)
}

// getBucketPolicy is GetBucketPolicy: the document as it was put.
func (rq *request) getBucketPolicy() error {
	bi, err := rq.s.eng.Bucket(rq.ctx, rq.bucket)
	if err != nil {
		return bucketErr(err, rq.bucket)
	}
	if bi.Policy == "" {
		return s3err.New(s3err.NoSuchBucketPolicy, "").With("BucketName", rq.bucket)
	}
	h := rq.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(bi.Policy)))
	rq.w.WriteHeader(http.StatusOK)
	_, err = rq.w.Write([]byte(bi.Policy))
	return err
}

// deleteBucketPolicy is DeleteBucketPolicy; 204 also when there was none.
func (rq *request) deleteBucketPolicy() error {
	if _, err := rq.s.eng.Bucket(rq.ctx, rq.bucket); err != nil {
		return bucketErr(err, rq.bucket)
	}
	if err := rq.s.eng.SetBucketPolicy(rq.ctx, rq.bucket, nil); err != nil {
		return bucketErr(err, rq.bucket)
	}
	return rq.writeEmpty(http.StatusNoContent)
}
