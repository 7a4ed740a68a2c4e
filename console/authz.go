package console

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
	"github.com/wormstore/wormstore/iam"
	"github.com/wormstore/wormstore/identity"
)

// PrincipalStore tells who an access key authenticates as (the same shape
// as s3api.PrincipalStore). identity.Store implements it.
type PrincipalStore interface {
	Principal(accessKey string) (identity.Principal, bool)
}

// errForbidden is wrapped by every refusal of authorize.
var errForbidden = fmt.Errorf("not authorised")

// deniedError is a refusal with the action in words for the 403 page.
type deniedError struct {
	what     string // "turn the legal hold OFF", …
	action   string
	resource string
	cond     string // the request's lock condition keys, in words ("" if none)
}

func (e *deniedError) Error() string {
	s := e.action + " on " + e.resource
	if e.cond != "" {
		s += " with " + e.cond
	}
	return s
}

func (e *deniedError) Unwrap() error { return errForbidden }

// message is the sentence the 403 page shows.
func (e *deniedError) message() string {
	return "You are not allowed to " + e.what + ": your policies do not allow " + e.Error() + "."
}

// actionWords names what a console user tried, for the 403 page.
var actionWords = map[string]string{
	"s3:ListAllMyBuckets":                 "list the buckets",
	"s3:CreateBucket":                     "create this bucket",
	"s3:PutBucketObjectLockConfiguration": "set the bucket's Object Lock configuration",
	"s3:GetBucketObjectLockConfiguration": "view the bucket's Object Lock configuration",
	"s3:PutBucketVersioning":              "turn versioning on for this bucket",
	"s3:ListBucket":                       "list the objects in this bucket",
	"s3:ListBucketVersions":               "list the versions in this bucket",
	"s3:GetObject":                        "read this object",
	"s3:GetObjectVersion":                 "read this version",
	"s3:DeleteObject":                     "delete this object",
	"s3:DeleteObjectVersion":              "delete this version",
	"s3:PutObject":                        "upload this object",
	"s3:AbortMultipartUpload":             "cancel this upload",
	"s3:PutObjectRetention":               "change the retention of this version",
	"s3:BypassGovernanceRetention":        "bypass GOVERNANCE retention",
	"s3:PutObjectLegalHold":               "change the legal hold of this version",
	"wormstore:GetStorageStats":           "see the server's storage statistics",
}

func describeAction(action string, cond map[string][]string) string {
	if action == iam.ActionPutObjectLegalHold {
		if v := cond[iam.KeyObjectLockLegalHold]; len(v) == 1 {
			return "turn the legal hold " + v[0]
		}
	}
	if action == iam.ActionPutObjectRetention {
		if v := cond[iam.KeyObjectLockMode]; len(v) == 1 {
			u := cond[iam.KeyObjectLockRetainUntilDate]
			if len(u) == 1 && len(u[0]) >= 10 {
				return "set " + v[0] + " retention until " + u[0][:10]
			}
			return "set " + v[0] + " retention"
		}
		return "remove the retention of this version"
	}
	if w, ok := actionWords[action]; ok {
		return w
	}
	return "do this (" + action + ")"
}

// lockCondWords lists the s3:object-lock-* keys of cond for messages.
func lockCondWords(cond map[string][]string) string {
	var parts []string
	for _, k := range []string{iam.KeyObjectLockLegalHold, iam.KeyObjectLockMode, iam.KeyObjectLockRetainUntilDate, iam.KeyObjectLockRemainingRetentionDays} {
		if v := cond[k]; len(v) > 0 {
			parts = append(parts, k+" = "+strings.Join(v, ","))
		}
	}
	return strings.Join(parts, ", ")
}

// holdCond is the condition context of a legal-hold request.
func holdCond(on bool) map[string][]string {
	v := "OFF"
	if on {
		v = "ON"
	}
	return map[string][]string{iam.KeyObjectLockLegalHold: {v}}
}

// retentionCond is the condition context of a retention request (mode ""
// when the retention is removed), as the S3 API builds it: through the
// gate, with the remaining days counted on the engine's clock.
func (c *Console) retentionCond(mode string, until time.Time) map[string][]string {
	return c.gate.LockCond("", mode, until)
}

// listCond is the condition context of a listing.
func listCond(prefix, delimiter string, maxKeys int) map[string][]string {
	c := map[string][]string{iam.KeyPrefix: {prefix}, iam.KeyMaxKeys: {strconv.Itoa(maxKeys)}}
	if delimiter != "" {
		c[iam.KeyDelimiter] = []string{delimiter}
	}
	return c
}

// resolve returns the principal a session acts as now: policy changes,
// disabled and deleted keys take effect at once.
func (c *Console) resolve(who principal) (identity.Principal, bool) {
	if c.cfg.Principals == nil {
		return identity.Principal{Root: who.Root, AccessKey: who.AccessKey}, who.Root
	}
	return c.cfg.Principals.Principal(who.AccessKey)
}

// caller is the gate's view of a session's principal on request r:
// unauthenticated if the key was disabled or deleted since sign-in.
func (c *Console) caller(r *http.Request, who principal) *gate.Caller {
	p, ok := c.resolve(who)
	cl := &gate.Caller{Authenticated: ok, AccessKey: who.AccessKey, SourceIP: clientIP(r), SecureTransport: r.TLS != nil}
	if ok && c.cfg.Principals != nil {
		// Without a PrincipalStore every caller is root; the gate (and
		// the S3 API) then leave Principal nil.
		cl.Principal = &p
	}
	return cl
}

// requestVersion is the version id a console request names.
func requestVersion(r *http.Request) string {
	vid := r.URL.Query().Get("version")
	if vid == "" && r.PostForm != nil {
		vid = r.PostForm.Get("version")
	}
	return vid
}

// authorize is the one authorisation hook: every console action asks it
// before touching the engine, naming the S3 action it is equivalent to,
// the resource's ARN and the condition keys that request would carry
// (lock keys, list keys). The decision is the gate's (gate.Allowed), the
// same call the S3 API makes for the same request, judged on the engine's
// clock; root may do everything.
func (c *Console) authorize(r *http.Request, who principal, action, resource string, cond map[string][]string) error {
	ok, err := c.gate.Allowed(r.Context(), c.caller(r, who), gate.Check{
		Action: action, Bucket: bucketOf(resource), Resource: resource, VersionID: requestVersion(r), Cond: cond,
	})
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	if !ok {
		return &deniedError{what: describeAction(action, cond), action: action, resource: resource, cond: lockCondWords(cond)}
	}
	return nil
}

// mayBypass applies the one bypass rule (gate.MayBypass) to a request that
// asked for a GOVERNANCE bypass on bucket/key.
func (c *Console) mayBypass(r *http.Request, s *session, requested bool, bucket, key, versionID string) (bool, error) {
	return c.gate.MayBypass(r.Context(), c.caller(r, s.who), requested, bucket, key, versionID)
}

// bypassRefused turns the engine's lock refusal of a request whose
// bypass was asked for but not allowed into the 403 that names the
// missing permission.
func bypassRefused(err error, requested, allowed bool, resource string) error {
	if requested && !allowed && errors.Is(err, engine.ErrObjectLocked) {
		return &deniedError{what: describeAction(iam.ActionBypassGovernanceRetention, nil), action: iam.ActionBypassGovernanceRetention, resource: resource}
	}
	return err
}

// can reports whether the session may do action (for showing controls).
func (c *Console) can(r *http.Request, s *session, action, resource string, cond map[string][]string) bool {
	return c.authorize(r, s.who, action, resource, cond) == nil
}

// bucketOf returns the bucket an S3 ARN names ("" for "*").
func bucketOf(arn string) string {
	b, ok := strings.CutPrefix(arn, "arn:aws:s3:::")
	if !ok {
		return ""
	}
	b, _, _ = strings.Cut(b, "/")
	return b
}
