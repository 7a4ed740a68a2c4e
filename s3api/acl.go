package s3api

import (
	"net/http"
	"strings"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api/s3err"
	"github.com/wormstore/wormstore/s3api/s3xml"
)

// ACLs behave as on a modern AWS bucket with Object Ownership
// BucketOwnerEnforced (the default for new buckets since 2023): ACLs are
// disabled. Reading one answers the owner with FULL_CONTROL; setting one is
// accepted only when it says the same (the private or
// bucket-owner-full-control canned ACL, a full-control grant to the owner,
// or an equivalent AccessControlPolicy) and refused otherwise with
// AccessControlListNotSupported. Ownership controls accept only
// BucketOwnerEnforced: wormstore does not implement ACLs, so it cannot
// honour ObjectWriter or BucketOwnerPreferred.

// Object Ownership values.
const (
	ownershipEnforced  = "BucketOwnerEnforced"
	ownershipPreferred = "BucketOwnerPreferred"
	ownershipWriter    = "ObjectWriter"
	// ownershipNone is the stored document after
	// DeleteBucketOwnershipControls (no document stored means the default,
	// BucketOwnerEnforced).
	ownershipNone = "none"
)

// grantHeaders are the x-amz-grant-* request headers.
func grantHeaders() []string {
	return []string{"x-amz-grant-full-control", "x-amz-grant-read", "x-amz-grant-read-acp", "x-amz-grant-write", "x-amz-grant-write-acp"}
}

// ownerOnlyACL reports whether a request's x-amz-acl and x-amz-grant-*
// headers grant nothing but the owner's full control. present is false
// without any such header.
func (rq *request) ownerOnlyACL() (ok, present bool) {
	h := rq.r.Header
	ok = true
	if v, has := h[http.CanonicalHeaderKey("x-amz-acl")]; has {
		present = true
		switch strings.TrimSpace(strings.Join(v, ",")) {
		case "private", "bucket-owner-full-control":
		default:
			ok = false
		}
	}
	owner := rq.owner()
	for _, name := range grantHeaders() {
		v, has := h[http.CanonicalHeaderKey(name)]
		if !has {
			continue
		}
		present = true
		if name != "x-amz-grant-full-control" || !grantIsOwner(strings.Join(v, ","), owner.ID) {
			ok = false
		}
	}
	return ok, present
}

// grantIsOwner reports whether a grant header value (`id="…"`, comma
// separated) names exactly the owner.
func grantIsOwner(v, ownerID string) bool {
	for g := range strings.SplitSeq(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(g), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "id") || strings.Trim(strings.TrimSpace(val), `"`) != ownerID {
			return false
		}
	}
	return true
}

// aclNotSupported is the refusal of an ACL that grants anything beyond the
// owner's full control.
func aclNotSupported() error { return s3err.New(s3err.AccessControlListNotSupported, "") }

// checkObjectACLHeaders checks the ACL headers of PutObject, CopyObject and
// CreateMultipartUpload.
func (rq *request) checkObjectACLHeaders() error {
	if ok, _ := rq.ownerOnlyACL(); !ok {
		return aclNotSupported()
	}
	return nil
}

// checkCreateBucketACL checks CreateBucket's ACL and Object Ownership
// headers: as AWS, an ACL beyond the owner's full control is refused with
// InvalidBucketAclWithObjectOwnership; x-amz-object-ownership may only be
// BucketOwnerEnforced.
func (rq *request) checkCreateBucketACL() error {
	if ok, _ := rq.ownerOnlyACL(); !ok {
		return s3err.New(s3err.InvalidBucketAclWithObjectOwnership, "")
	}
	v := rq.r.Header.Get("x-amz-object-ownership")
	switch v {
	case "", ownershipEnforced:
		return nil
	case ownershipPreferred, ownershipWriter:
		return ownershipUnsupported("x-amz-object-ownership", v)
	}
	return s3err.New(s3err.InvalidArgument, "Invalid x-amz-object-ownership header: "+v).
		With("ArgumentName", "x-amz-object-ownership").With("ArgumentValue", v)
}

func ownershipUnsupported(arg, v string) error {
	return s3err.New(s3err.InvalidArgument, "Object Ownership "+v+" is not supported: ACLs are not implemented, only BucketOwnerEnforced is").
		With("ArgumentName", arg).With("ArgumentValue", v)
}

// ownerACL is the one ACL every bucket and object has.
func (rq *request) ownerACL() s3xml.AccessControlPolicy {
	o := rq.owner()
	return s3xml.AccessControlPolicy{
		Owner: o,
		Grants: []s3xml.Grant{{
			Grantee: s3xml.Grantee{
				XMLNSXSI: "http://www.w3.org/2001/XMLSchema-instance", Type: "CanonicalUser",
				ID: o.ID, DisplayName: o.DisplayName,
			},
			Permission: "FULL_CONTROL",
		}},
	}
}

// checkACLRequest checks a PutBucketAcl/PutObjectAcl: the headers, or the
// body, must grant the owner full control and nothing else.
func (rq *request) checkACLRequest() error {
	ok, present := rq.ownerOnlyACL()
	if !ok {
		return aclNotSupported()
	}
	data, err := rq.readXMLBody(false)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		if !present {
			return s3err.New(s3err.MissingSecurityHeader, "").With("MissingHeaderName", "x-amz-acl")
		}
		return nil
	}
	if present {
		return s3err.New(s3err.UnexpectedContent, "This request does not support content")
	}
	acl, err := s3xml.DecodeAccessControlPolicy(data)
	if err != nil {
		return err
	}
	owner := rq.owner()
	if acl.OwnerID != owner.ID || len(acl.Grants) != 1 {
		return aclNotSupported()
	}
	g := acl.Grants[0]
	if g.Type != "CanonicalUser" || g.ID != owner.ID || g.Permission != "FULL_CONTROL" {
		return aclNotSupported()
	}
	return nil
}

func (rq *request) getBucketAcl() error {
	if _, err := rq.s.eng.Bucket(rq.ctx, rq.bucket); err != nil {
		return bucketErr(err, rq.bucket)
	}
	return rq.writeXML(http.StatusOK, rq.ownerACL())
}

func (rq *request) putBucketAcl() error {
	if _, err := rq.s.eng.Bucket(rq.ctx, rq.bucket); err != nil {
		return bucketErr(err, rq.bucket)
	}
	if err := rq.checkACLRequest(); err != nil {
		return err
	}
	return rq.writeEmpty(http.StatusOK)
}

func (rq *request) getObjectAcl() error {
	info, err := rq.s.eng.StatObject(rq.ctx, rq.bucket, rq.key, rq.query.Get("versionId"))
	if err != nil {
		return objectErr(err, rq.bucket, rq.key)
	}
	rq.setVersionHeader(info.VersionID)
	return rq.writeXML(http.StatusOK, rq.ownerACL())
}

func (rq *request) putObjectAcl() error {
	info, err := rq.s.eng.StatObject(rq.ctx, rq.bucket, rq.key, rq.query.Get("versionId"))
	if err != nil {
		return objectErr(err, rq.bucket, rq.key)
	}
	if err := rq.checkACLRequest(); err != nil {
		return err
	}
	rq.setVersionHeader(info.VersionID)
	return rq.writeEmpty(http.StatusOK)
}

// getBucketOwnershipControls answers BucketOwnerEnforced, the default of
// every bucket, unless DeleteBucketOwnershipControls removed it.
func (rq *request) getBucketOwnershipControls() error {
	bi, err := rq.s.eng.Bucket(rq.ctx, rq.bucket)
	if err != nil {
		return bucketErr(err, rq.bucket)
	}
	if bi.Config(engine.ConfigOwnership) == ownershipNone {
		return s3err.New(s3err.OwnershipControlsNotFoundError, "").With("BucketName", rq.bucket)
	}
	return rq.writeXML(http.StatusOK, s3xml.OwnershipControls{Rules: []s3xml.OwnershipControlRule{{ObjectOwnership: ownershipEnforced}}})
}

func (rq *request) putBucketOwnershipControls() error {
	if _, err := rq.s.eng.Bucket(rq.ctx, rq.bucket); err != nil {
		return bucketErr(err, rq.bucket)
	}
	data, err := rq.readXMLBody(true)
	if err != nil {
		return err
	}
	v, err := s3xml.DecodeOwnershipControls(data)
	if err != nil {
		return err
	}
	switch v {
	case ownershipEnforced:
	case ownershipPreferred, ownershipWriter:
		return ownershipUnsupported("ObjectOwnership", v)
	default:
		return s3err.New(s3err.MalformedXML, "")
	}
	// No document is the default, BucketOwnerEnforced.
	if err := rq.s.eng.SetBucketConfig(rq.ctx, rq.bucket, engine.ConfigOwnership, nil); err != nil {
		return bucketErr(err, rq.bucket)
	}
	return rq.writeEmpty(http.StatusOK)
}

// deleteBucketOwnershipControls removes the ownership controls: Get then
// answers OwnershipControlsNotFoundError, as AWS. ACLs stay disabled (they
// are not implemented).
func (rq *request) deleteBucketOwnershipControls() error {
	if _, err := rq.s.eng.Bucket(rq.ctx, rq.bucket); err != nil {
		return bucketErr(err, rq.bucket)
	}
	if err := rq.s.eng.SetBucketConfig(rq.ctx, rq.bucket, engine.ConfigOwnership, []byte(ownershipNone)); err != nil {
		return bucketErr(err, rq.bucket)
	}
	return rq.writeEmpty(http.StatusNoContent)
}
