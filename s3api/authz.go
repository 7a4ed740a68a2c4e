package s3api

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

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
}

// resolvePrincipal sets rq.principal after SigV4 verification. Without a
// PrincipalStore every authenticated caller is root.
func (s *Server) resolvePrincipal(rq *request) error {
	if s.principals == nil {
		return nil
	}
	p, ok := s.principals.Principal(rq.auth.AccessKey)
	if !ok {
		// Deleted or disabled between Verify and here.
		return sigv4.ErrInvalidAccessKeyID
	}
	rq.principal = &p
	return nil
}

// isRoot reports whether the caller may do everything a policy could allow.
func (rq *request) isRoot() bool {
	return rq.principal == nil || rq.principal.Root
}

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

// baseContext returns the condition keys every request has.
func (rq *request) baseContext() map[string][]string {
	now := rq.s.clock().UTC()
	c := map[string][]string{
		iam.KeySecureTransport: {strconv.FormatBool(rq.r.TLS != nil)},
		iam.KeyCurrentTime:     {now.Format(time.RFC3339)},
		iam.KeyEpochTime:       {strconv.FormatInt(now.Unix(), 10)},
	}
	ip := rq.r.RemoteAddr
	if host, _, err := net.SplitHostPort(ip); err == nil {
		ip = host
	}
	if ip != "" {
		c[iam.KeySourceIP] = []string{ip}
	}
	if p := rq.principal; p != nil {
		if p.Root {
			c[iam.KeyUserID] = []string{identity.AccountID}
		} else {
			c[iam.KeyUserID] = []string{p.User}
		}
	}
	if v, ok := rq.query["versionId"]; ok && len(v) > 0 && v[0] != "" {
		c[iam.KeyVersionID] = []string{v[0]}
	}
	return c
}

// listContext adds s3:prefix, s3:delimiter and s3:max-keys when present.
func (rq *request) listContext(c map[string][]string) {
	for q, k := range map[string]string{"prefix": iam.KeyPrefix, "delimiter": iam.KeyDelimiter, "max-keys": iam.KeyMaxKeys, "max-uploads": iam.KeyMaxKeys} {
		if v, ok := rq.query[q]; ok && len(v) > 0 {
			c[k] = []string{v[0]}
		}
	}
}

// lockContext adds the s3:object-lock-* keys for a requested legal hold
// ("" when none) and retention (mode "" when none).
func (rq *request) lockContext(c map[string][]string, hold, mode string, until time.Time) {
	if hold != "" {
		c[iam.KeyObjectLockLegalHold] = []string{hold}
	}
	if mode != "" {
		c[iam.KeyObjectLockMode] = []string{mode}
		c[iam.KeyObjectLockRetainUntilDate] = []string{until.UTC().Format(time.RFC3339)}
		c[iam.KeyObjectLockRemainingRetentionDays] = []string{strconv.FormatInt(iam.RemainingRetentionDays(rq.s.clock(), until), 10)}
	}
}

// allowed evaluates one action on a resource for a user caller. bucket
// names the bucket whose policy applies ("" for none).
func (rq *request) allowed(action, bucket, resource string, ctx map[string][]string) (bool, error) {
	if rq.isRoot() {
		return true, nil
	}
	var resPolicies []*iam.Policy
	if bucket != "" {
		if bi, err := rq.s.eng.Bucket(rq.ctx, bucket); err == nil && bi.Policy != "" {
			p, err := rq.s.policies.BucketPolicy(bi.Policy)
			if err != nil {
				return false, err
			}
			resPolicies = append(resPolicies, p)
		}
	}
	p := rq.principal
	d := iam.Evaluate(p.Policies, resPolicies, iam.Request{
		Action: action, Resource: resource, Principal: p.ARN, Username: p.User, Context: ctx,
	})
	return d.Allowed(), nil
}

// require fails with AccessDenied unless action is allowed.
func (rq *request) require(action, bucket, resource string, ctx map[string][]string) error {
	ok, err := rq.allowed(action, bucket, resource, ctx)
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
func (rq *request) authorize() error {
	if rq.isRoot() {
		return nil
	}
	op := rq.effectiveOp()
	if bodyCheckedOps[op] {
		return nil
	}
	action := iam.ActionFor(op, rq.query.Get("versionId") != "")
	if action == "" {
		if strings.HasPrefix(op, "NotImplemented") {
			return nil // answers 501 without touching anything
		}
		return s3err.New(s3err.AccessDenied, "")
	}
	c := rq.baseContext()
	switch op {
	case "ListObjects", "ListObjectsV2", "ListObjectVersions", "ListMultipartUploads":
		rq.listContext(c)
	}
	var extra []string
	switch op {
	case "PutObject", "CopyObject", "CreateMultipartUpload":
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
		rq.lockContext(c, hold, mode, until)
	case "CreateBucket":
		if strings.EqualFold(strings.TrimSpace(rq.r.Header.Get("x-amz-bucket-object-lock-enabled")), "true") {
			extra = append(extra, "s3:PutBucketObjectLockConfiguration", "s3:PutBucketVersioning")
		}
	}
	res := rq.resource()
	for _, a := range append([]string{action}, extra...) {
		if err := rq.require(a, rq.bucket, res, c); err != nil {
			return err
		}
	}
	if op == "CopyObject" || op == "UploadPartCopy" {
		cs, err := parseCopySource(rq.r.Header.Get("x-amz-copy-source"))
		if err != nil {
			return err
		}
		sc := rq.baseContext()
		delete(sc, iam.KeyVersionID)
		if cs.versionID != "" {
			sc[iam.KeyVersionID] = []string{cs.versionID}
		}
		if err := rq.require(iam.ActionFor("GetObject", cs.versionID != ""), cs.bucket, iam.ObjectARN(cs.bucket, cs.key), sc); err != nil {
			return err
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
	c := rq.baseContext()
	rq.lockContext(c, hold, mode, until)
	return rq.require(iam.ActionFor(rq.effectiveOp(), rq.query.Get("versionId") != ""), rq.bucket, rq.resource(), c)
}

// mayBypass reports whether a request on key asked to bypass GOVERNANCE
// retention (x-amz-bypass-governance-retention: true) and may: root may,
// a user needs s3:BypassGovernanceRetention. Without the permission the
// lock applies as if no bypass had been asked for.
func (rq *request) mayBypass(key, versionID string) bool {
	if !rq.bypassGovernance() {
		return false
	}
	if rq.isRoot() {
		return true
	}
	c := rq.baseContext()
	delete(c, iam.KeyVersionID)
	if versionID != "" {
		c[iam.KeyVersionID] = []string{versionID}
	}
	ok, err := rq.allowed(iam.ActionBypassGovernanceRetention, rq.bucket, iam.ObjectARN(rq.bucket, key), c)
	return err == nil && ok
}

// deleteKeyAllowed checks one key of DeleteObjects as DeleteObject (or
// DeleteObjectVersion).
func (rq *request) deleteKeyAllowed(key, versionID string) (bool, error) {
	if rq.isRoot() {
		return true, nil
	}
	c := rq.baseContext()
	delete(c, iam.KeyVersionID)
	if versionID != "" {
		c[iam.KeyVersionID] = []string{versionID}
	}
	return rq.allowed(iam.ActionFor("DeleteObject", versionID != ""), rq.bucket, iam.ObjectARN(rq.bucket, key), c)
}

// userName is the caller's user name for logs and audit ("root" for root).
func (rq *request) userName() string {
	switch {
	case rq.principal == nil:
		return ""
	case rq.principal.Root:
		return "root"
	}
	return rq.principal.User
}

var _ http.Handler = (*Server)(nil)
