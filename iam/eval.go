package iam

import (
	"fmt"
	"strings"
)

// Request is what Evaluate decides on. The S3 layer builds one per
// authorization check; Evaluate does not modify it or keep it.
type Request struct {
	// Action is the IAM action, e.g. "s3:GetObject" (see ActionFor).
	// Matching is case-insensitive.
	Action string
	// Resource is the ARN the action applies to: ObjectARN, BucketARN, or
	// ResourceFor("", "") for ListAllMyBuckets. Matching is case-sensitive.
	Resource string
	// Principal is the caller's ARN, e.g. "arn:aws:iam::000000000000:user/uploader"
	// or RootARN(account); a bare 12-digit account id means that account's
	// root. Empty means an anonymous request, which only "*" principals
	// match.
	Principal string
	// Username is the IAM user name; it supplies aws:username.
	Username string
	// Context maps condition keys to their values in this request (see
	// the package documentation for the keys and formats). A key with no
	// values is absent. Lookups are case-insensitive; do not supply two
	// keys that differ only in case. aws:username, aws:PrincipalArn and
	// aws:PrincipalAccount come from Username and Principal when those are
	// set, overriding Context.
	Context map[string][]string
}

// Outcome is the result of an evaluation.
type Outcome uint8

// Outcomes, from weakest to strongest.
const (
	// ImplicitDeny: no statement allowed the request (and none denied it).
	ImplicitDeny Outcome = iota
	// Allow: an Allow statement applied and no Deny statement did.
	Allow
	// ExplicitDeny: a Deny statement applied. Nothing overrides it.
	ExplicitDeny
)

func (o Outcome) String() string {
	switch o {
	case ImplicitDeny:
		return "implicit deny"
	case Allow:
		return "allow"
	case ExplicitDeny:
		return "explicit deny"
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// Decision is Evaluate's answer, with the statement that decided it for
// the audit log and for debugging. For ExplicitDeny it is the first
// applying Deny statement; for Allow the first applying Allow statement
// (identity policies before bucket policies, each in order); for
// ImplicitDeny there is none and Policy and Statement are -1.
type Decision struct {
	Outcome Outcome
	// Sid of the deciding statement ("" if it has none).
	Sid string
	// PolicyID is the Id element of the deciding policy.
	PolicyID string
	// FromBucketPolicy is set when the deciding policy is one of the
	// resource (bucket) policies.
	FromBucketPolicy bool
	// Policy indexes the deciding policy in the identity or resource
	// slice passed to Evaluate; Statement indexes its Statements.
	Policy, Statement int
}

// Allowed reports whether the request may proceed.
func (d Decision) Allowed() bool { return d.Outcome == Allow }

func (d Decision) String() string {
	if d.Outcome == ImplicitDeny {
		return "implicit deny (no statement applies)"
	}
	kind := "identity"
	if d.FromBucketPolicy {
		kind = "bucket"
	}
	return fmt.Sprintf("%s by %s policy %d (Id %q) statement %d (Sid %q)",
		d.Outcome, kind, d.Policy, d.PolicyID, d.Statement, d.Sid)
}

// Evaluate decides req against the caller's identity policies and the
// resource's bucket policies, with the AWS logic for a principal in the
// resource's own account: an explicit Deny in any policy wins; otherwise an
// Allow in an identity policy, or in a bucket policy whose Principal
// matches the caller, allows; otherwise the request is implicitly denied.
//
// Identity-policy statements need no Principal (if one is present it must
// match too); a bucket-policy statement without Principal or NotPrincipal
// never applies. Nil policies are skipped. Evaluate never panics, reads
// no clock (time comes from aws:CurrentTime / aws:EpochTime in Context) and
// is safe for concurrent use.
func Evaluate(identity []*Policy, resource []*Policy, req Request) Decision {
	e := newEnv(&req)
	action := strings.ToLower(req.Action)
	allow := Decision{Outcome: ImplicitDeny, Policy: -1, Statement: -1}
	for pass, policies := range [2][]*Policy{identity, resource} {
		bucket := pass == 1
		for i, p := range policies {
			if p == nil {
				continue
			}
			for j, s := range p.Statements {
				if s.Effect == EffectAllow && allow.Outcome == Allow {
					continue // only a Deny can change the answer now
				}
				if !s.applies(e, action, req.Resource, bucket) {
					continue
				}
				d := Decision{Outcome: Allow, Sid: s.Sid, PolicyID: p.ID, FromBucketPolicy: bucket, Policy: i, Statement: j}
				if s.Effect == EffectDeny {
					d.Outcome = ExplicitDeny
					return d
				}
				allow = d
			}
		}
	}
	return allow
}

// applies reports whether the statement matches the request: action,
// resource, principal and every condition.
func (s *Statement) applies(e *env, action, resource string, bucket bool) bool {
	if anyMatch(s.actions, action) == (s.NotAction != nil) {
		return false
	}
	if s.matchResource(e, resource) == (s.NotResource != nil) {
		return false
	}
	switch {
	case s.Principal != nil:
		if !s.Principal.matches(e, s.Effect == EffectDeny) {
			return false
		}
	case s.NotPrincipal != nil:
		if s.NotPrincipal.matches(e, true) {
			return false
		}
	case bucket:
		return false
	}
	for _, c := range s.Conditions {
		if !c.eval(e) {
			return false
		}
	}
	return true
}

func anyMatch(pats []pattern, s string) bool {
	for _, p := range pats {
		if p.match(s) {
			return true
		}
	}
	return false
}

func (s *Statement) matchResource(e *env, resource string) bool {
	for _, p := range s.resources {
		if r, ok := p.resolve(e); ok && r.match(resource) {
			return true
		}
	}
	return false
}

// matches reports whether the caller is one of the principals. An account
// (root ARN) names only the root user for an Allow, as AWS treats it as a
// delegation to the account's own policies; with broad set (Deny
// statements and NotPrincipal) it names every principal of the account.
func (p *Principal) matches(e *env, broad bool) bool {
	if p.Any {
		return true
	}
	for _, a := range p.aws {
		switch {
		case a == "*":
			return true
		case e.principal == "":
		case a == e.principal:
			return true
		case broad && a == e.accountRoot:
			return true
		}
	}
	return false
}

// env is the evaluation view of a Request.
type env struct {
	req         *Request
	principal   string // normalized Principal ARN
	accountRoot string // root ARN of the principal's account, or ""
	username    []string
	principals  []string
	account     []string
}

func newEnv(req *Request) *env {
	e := &env{req: req}
	if req.Principal != "" {
		e.principal, _ = normalizePrincipalARN(req.Principal)
		e.principals = []string{e.principal}
		parts := strings.SplitN(e.principal, ":", 6)
		if len(parts) == 6 && parts[0] == "arn" && parts[4] != "" {
			e.accountRoot = "arn:" + parts[1] + ":iam::" + parts[4] + ":root"
			e.account = []string{parts[4]}
		}
	}
	if req.Username != "" {
		e.username = []string{req.Username}
	}
	return e
}

func normalizePrincipalARN(p string) (string, bool) {
	if len(p) == 12 && isDigits(p) {
		return RootARN(p), true
	}
	return p, false
}

// lookup returns the values of a condition key, case-insensitively; nil
// if the key is absent.
func (e *env) lookup(key string) []string {
	switch {
	case e.username != nil && strings.EqualFold(key, KeyUsername):
		return e.username
	case e.principals != nil && strings.EqualFold(key, KeyPrincipalArn):
		return e.principals
	case e.account != nil && strings.EqualFold(key, KeyPrincipalAccount):
		return e.account
	}
	if v, ok := e.req.Context[key]; ok {
		return v
	}
	for k, v := range e.req.Context {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}
