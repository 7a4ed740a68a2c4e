package s3api

import (
	"net/http"
	"strings"
	"time"

	"github.com/wormstore/wormstore/gate"
	"github.com/wormstore/wormstore/iam"
	"github.com/wormstore/wormstore/identity"
	"github.com/wormstore/wormstore/s3api/s3err"
	"github.com/wormstore/wormstore/s3api/s3xml"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// PrincipalStore tells who an access key authenticates as. identity.Store
// implements it.
type PrincipalStore interface {
	Principal(accessKey string) (identity.Principal, bool)
}

// bodyCheckedOps are the operations whose condition keys come from the
// request body; their handlers call authorizeBody once the body is parsed.
// DeleteObjects is checked per key, as DeleteObject.
var bodyCheckedOps = map[string]bool{
	"PutObjectLegalHold": true,
	"PutObjectRetention": true,
	"DeleteObjects":      true,
	"PutObjectTagging":   true,
}

// resolvePrincipal records who the request acts for after SigV4
// verification: the caller of rq.scope, and rq.principal. Without a
// PrincipalStore every authenticated caller is root.
func (s *Server) resolvePrincipal(rq *request) error {
	c := gate.Caller{Authenticated: true, AccessKey: rq.auth.AccessKey, SecureTransport: rq.r.TLS != nil}
	if s.principals != nil {
		p, ok := s.principals.Principal(rq.auth.AccessKey)
		if !ok {
			// Deleted or disabled between Verify and here.
			return &sigv4.AccessKeyError{AccessKey: rq.auth.AccessKey}
		}
		rq.principal = &p
		c.Principal = &p
	}
	rq.scope.SetCaller(c)
	return nil
}

// caller is the request's caller as the gate sees it.
func (rq *request) caller() *gate.Caller { return rq.scope.Caller() }

// isRoot reports whether the caller may do everything a policy could allow.
func (rq *request) isRoot() bool { return rq.caller().IsRoot() }

// effectiveOp is the operation name for IAM: the route name, except that a
// copy source turns PutObject into CopyObject and UploadPart into
// UploadPartCopy.
func (rq *request) effectiveOp() string {
	if rq.r.Header.Get("x-amz-copy-source") != "" {
		switch rq.op {
		case "PutObject":
			return "CopyObject"
		case "UploadPart":
			return "UploadPartCopy"
		}
	}
	if rq.op == "ListObjects" && rq.query.Get("list-type") == "2" {
		return "ListObjectsV2"
	}
	return rq.op
}

// listContext returns s3:prefix, s3:delimiter and s3:max-keys when present.
func (rq *request) listContext() map[string][]string {
	c := map[string][]string{}
	for q, k := range map[string]string{"prefix": iam.KeyPrefix, "delimiter": iam.KeyDelimiter, "max-keys": iam.KeyMaxKeys, "max-uploads": iam.KeyMaxKeys} {
		if v, ok := rq.query[q]; ok && len(v) > 0 {
			c[k] = []string{v[0]}
		}
	}
	return c
}

// require fails with AccessDenied unless the gate allows chk.
func (rq *request) require(chk gate.Check) error {
	ok, err := rq.s.gate.Allowed(rq.ctx, rq.caller(), chk)
	if err != nil {
		return err
	}
	if !ok {
		return s3err.New(s3err.AccessDenied, "")
	}
	return nil
}

// resource is the ARN the request acts on.
func (rq *request) resource() string {
	return iam.ResourceFor(rq.bucket, rq.key)
}

// authorize checks a routed request before its handler runs, except for
// the operations in bodyCheckedOps, whose handlers call authorizeBody.
//
// It also tells the request's audit scope the operation and target, before
// any handler reaches the engine.
func (rq *request) authorize() error {
	rq.scope.SetOp(rq.effectiveOp())
	rq.scope.SetTarget(rq.bucket, rq.key, rq.query.Get("versionId"))
	rq.scope.SetBypassRequested(rq.bypassGovernance())
	if rq.isRoot() {
		return nil
	}
	op := rq.effectiveOp()
	if bodyCheckedOps[op] {
		return nil
	}
	vid := rq.query.Get("versionId")
	action := rq.s.gate.Op(op).ActionFor(vid != "")
	if action == "" {
		if strings.HasPrefix(op, "NotImplemented") {
			return nil // answers 501 without touching anything
		}
		return s3err.New(s3err.AccessDenied, "")
	}
	var c map[string][]string
	switch op {
	case "ListObjects", "ListObjectsV2", "ListObjectVersions", "ListMultipartUploads":
		c = rq.listContext()
	}
	var extra []string
	switch op {
	case "PutObject", "CopyObject", "CreateMultipartUpload", "PostObject":
		h := rq.r.Header
		hold, mode := h.Get("x-amz-object-lock-legal-hold"), h.Get("x-amz-object-lock-mode")
		var until time.Time
		if mode != "" {
			t, err := s3xml.ParseTime(h.Get("x-amz-object-lock-retain-until-date"))
			if err != nil {
				return s3err.New(s3err.InvalidArgument, "The retain until date must be provided in ISO 8601 format")
			}
			until = t
			extra = append(extra, iam.ActionPutObjectRetention)
		}
		if hold != "" {
			extra = append(extra, iam.ActionPutObjectLegalHold)
		}
		c = rq.s.gate.LockCond(hold, mode, until)
	case "GetObjectAttributes":
		// As AWS: s3:GetObject(Version) as well as
		// s3:GetObject(Version)Attributes.
		extra = append(extra, rq.s.gate.Op("GetObject").ActionFor(vid != ""))
	case "CreateBucket":
		if strings.EqualFold(strings.TrimSpace(rq.r.Header.Get("x-amz-bucket-object-lock-enabled")), "true") {
			extra = append(extra, "s3:PutBucketObjectLockConfiguration", "s3:PutBucketVersioning")
		}
	}
	tc, err := rq.tagCond(op)
	if err != nil {
		return err
	}
	c = mergeCond(c, tc)
	if rq.writesTags(op) {
		extra = append(extra, iam.ActionPutObjectTagging)
	}
	res := rq.resource()
	for _, a := range append([]string{action}, extra...) {
		if err := rq.require(gate.Check{Action: a, Bucket: rq.bucket, Resource: res, VersionID: vid, Cond: c}); err != nil {
			return err
		}
	}
	if op == "CopyObject" || op == "UploadPartCopy" {
		cs, err := parseCopySource(rq.r.Header.Get("x-amz-copy-source"))
		if err != nil {
			return err
		}
		srcTags := rq.existingTags(cs.bucket, cs.key, cs.versionID)
		srcCond := gate.TagCond(srcTags, nil)
		if err := rq.require(gate.Check{
			Action: rq.s.gate.Op("GetObject").ActionFor(cs.versionID != ""), Bucket: cs.bucket,
			Resource: iam.ObjectARN(cs.bucket, cs.key), VersionID: cs.versionID, Cond: srcCond,
		}); err != nil {
			return err
		}
		// Copying a tagged source's tags (x-amz-tagging-directive COPY)
		// also needs s3:GetObjectTagging on it, as AWS.
		if op == "CopyObject" && len(srcTags) > 0 && rq.r.Header.Get("x-amz-tagging-directive") != "REPLACE" {
			if err := rq.require(gate.Check{
				Action: rq.s.gate.Op("GetObjectTagging").ActionFor(cs.versionID != ""), Bucket: cs.bucket,
				Resource: iam.ObjectARN(cs.bucket, cs.key), VersionID: cs.versionID, Cond: srcCond,
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

// authorizeBody checks a request whose condition keys come from its body,
// once the body is parsed and before the engine is called: hold is the
// requested legal hold ("ON"/"OFF", "" for none), mode and until the
// requested retention (mode "" for none).
func (rq *request) authorizeBody(hold, mode string, until time.Time) error {
	if rq.isRoot() {
		return nil
	}
	vid := rq.query.Get("versionId")
	tc, err := rq.tagCond(rq.effectiveOp())
	if err != nil {
		return err
	}
	return rq.require(gate.Check{
		Action: rq.s.gate.Op(rq.effectiveOp()).ActionFor(vid != ""), Bucket: rq.bucket, Resource: rq.resource(),
		VersionID: vid, Cond: mergeCond(rq.s.gate.LockCond(hold, mode, until), tc),
	})
}

// mergeCond returns a with b's keys added (b wins); either may be nil.
func mergeCond(a, b map[string][]string) map[string][]string {
	if len(b) == 0 {
		return a
	}
	if a == nil {
		a = map[string][]string{}
	}
	for k, v := range b {
		a[k] = v
	}
	return a
}

// mayBypass reports whether a request on key asked to bypass GOVERNANCE
// retention (x-amz-bypass-governance-retention: true) and may (the one rule,
// gate.MayBypass): root may, a user needs s3:BypassGovernanceRetention.
// Without the permission the lock applies as if no bypass had been asked
// for.
func (rq *request) mayBypass(key, versionID string) bool {
	ok, err := rq.s.gate.MayBypass(rq.ctx, rq.caller(), rq.bypassGovernance(), rq.bucket, key, versionID)
	return err == nil && ok
}

// deleteKeyAllowed checks one key of DeleteObjects as DeleteObject (or
// DeleteObjectVersion).
func (rq *request) deleteKeyAllowed(key, versionID string) (bool, error) {
	return rq.s.gate.Allowed(rq.ctx, rq.caller(), gate.Check{
		Action: rq.s.gate.Op("DeleteObject").ActionFor(versionID != ""), Bucket: rq.bucket,
		Resource: iam.ObjectARN(rq.bucket, key), VersionID: versionID,
	})
}

// userName is the caller's user name for logs and audit ("root" for root).
func (rq *request) userName() string {
	if rq.principal == nil {
		return ""
	}
	return rq.caller().UserName()
}

var _ http.Handler = (*Server)(nil)
