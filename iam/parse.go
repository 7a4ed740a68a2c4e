package iam

import (
	"errors"
	"fmt"
	"strings"
)

// Size caps of AWS: a bucket policy may be 20 KiB, a managed identity
// policy 6 KiB. ParseOptions.MaxSize defaults to one of them.
const (
	MaxBucketPolicySize   = 20 << 10
	MaxIdentityPolicySize = 6 << 10
)

// Policy language versions. Policy variables are substituted only in
// documents that declare Version2012; in a 2008 document, or one without a
// Version, "${aws:username}" is literal text, as in AWS.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Kind says where a policy is attached, which decides the rules for
// Principal and how strictly names are checked.
type Kind uint8

const (
	// KindAny checks the grammar only: Principal and NotPrincipal are
	// optional, and unknown s3 actions and condition keys are accepted.
	KindAny Kind = iota
	// KindIdentity is a policy attached to a user. Principal and
	// NotPrincipal are refused; like IAM, unknown s3 actions and condition
	// keys are accepted (they never match).
	KindIdentity
	// KindBucket is a bucket (resource) policy. Every statement needs
	// Principal or NotPrincipal; like S3, an action in the s3 namespace
	// must name (or, with wildcards, match) a real S3 action, and a
	// condition key or policy variable in the aws: or s3: namespace must be
	// one AWS defines. A misspelt name is an error instead of a statement
	// that silently never applies.
	KindBucket
)

// ParseOptions configures ParseWithOptions. The zero value parses any
// policy up to MaxBucketPolicySize bytes.
type ParseOptions struct {
	Kind Kind
	// MaxSize caps the document length in bytes (whitespace included).
	// Zero or negative means MaxIdentityPolicySize for KindIdentity and
	// MaxBucketPolicySize otherwise.
	MaxSize int
}

// Effect is a statement's Effect.
type Effect uint8

// Statement effects.
const (
	EffectAllow Effect = iota + 1
	EffectDeny
)

func (e Effect) String() string {
	switch e {
	case EffectAllow:
		return "Allow"
	case EffectDeny:
		return "Deny"
	}
	return fmt.Sprintf("Effect(%d)", uint8(e))
}

// Policy is a parsed policy document. It is immutable once Parse returns
// and safe for concurrent use by any number of Evaluate calls. Its exported
// fields show the document as written; they are for inspection only:
// Evaluate uses forms compiled by Parse, so changing a field does not
// change evaluation.
type Policy struct {
	Version    string // "" when absent
	ID         string // the Id element
	Statements []*Statement
}

// Statement is one element of a policy's Statement list. Exactly one of
// Action and NotAction is set, exactly one of Resource and NotResource,
// and at most one of Principal and NotPrincipal.
type Statement struct {
	Sid          string
	Effect       Effect
	Principal    *Principal
	NotPrincipal *Principal
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	// Conditions in document order. All must hold for the statement to
	// apply.
	Conditions []*Condition

	actions   []pattern // lower-cased Action or NotAction
	resources []pattern // Resource or NotResource
}

// Principal is a Principal or NotPrincipal element.
type Principal struct {
	// Any is set for "Principal": "*".
	Any bool
	// Values by principal type, as written. Only AWS principals ("*",
	// account ids and IAM ARNs) can match a wormstore request; the other
	// types are accepted and never match.
	AWS, Service, Federated, CanonicalUser []string

	aws []string // AWS values with account ids turned into root ARNs
}

// Parse parses a policy document with the zero ParseOptions: the grammar
// only, at most MaxBucketPolicySize bytes.
func Parse(doc []byte) (*Policy, error) {
	return ParseWithOptions(doc, ParseOptions{})
}

// ParseBucketPolicy parses a bucket policy (KindBucket, at most
// MaxBucketPolicySize bytes).
func ParseBucketPolicy(doc []byte) (*Policy, error) {
	return ParseWithOptions(doc, ParseOptions{Kind: KindBucket})
}

// ParseIdentityPolicy parses a policy to attach to a user (KindIdentity,
// at most MaxIdentityPolicySize bytes).
func ParseIdentityPolicy(doc []byte) (*Policy, error) {
	return ParseWithOptions(doc, ParseOptions{Kind: KindIdentity})
}

// ParseWithOptions parses a policy document. Every error is a
// *MalformedError matching ErrMalformedPolicy.
func ParseWithOptions(doc []byte, opts ParseOptions) (*Policy, error) {
	max := opts.MaxSize
	if max <= 0 {
		max = MaxBucketPolicySize
		if opts.Kind == KindIdentity {
			max = MaxIdentityPolicySize
		}
	}
	if len(doc) > max {
		return nil, &MalformedError{
			Msg:      fmt.Sprintf("policy document is %d bytes, more than the limit of %d", len(doc), max),
			tooLarge: true,
		}
	}
	root, err := parseJSON(doc)
	if err != nil {
		return nil, err
	}
	p := &parser{kind: opts.Kind}
	pol, err := p.policy(root)
	if err != nil {
		return nil, malformed(err.Error())
	}
	return pol, nil
}

type parser struct {
	kind      Kind
	vars      bool     // policy variables enabled
	s3Actions []string // lower-cased "s3:action" names, built on first use
}

func (p *parser) strict() bool { return p.kind == KindBucket }

// checkVar validates a policy variable's key (bucket policies only).
func (p *parser) checkVar() func(string) error {
	if !p.strict() {
		return nil
	}
	return func(key string) error {
		if !knownKey(key) {
			return fmt.Errorf("unknown policy variable ${%s}", key)
		}
		return nil
	}
}

func (p *parser) policy(root *jnode) (*Policy, error) {
	if root.kind != jObject {
		return nil, fmt.Errorf("policy document must be a JSON object, not %s", root.kind)
	}
	if err := onlyFields(root, "", "Version", "Id", "Statement"); err != nil {
		return nil, err
	}
	pol := &Policy{}
	if n := root.get("Version"); n != nil {
		if n.kind != jString {
			return nil, fmt.Errorf("Version must be a string, not %s", n.kind)
		}
		if n.s != Version2012 && n.s != Version2008 {
			return nil, fmt.Errorf("Version must be %q or %q, got %q", Version2012, Version2008, n.s)
		}
		pol.Version = n.s
	}
	p.vars = pol.Version == Version2012
	if n := root.get("Id"); n != nil {
		if n.kind != jString {
			return nil, fmt.Errorf("Id must be a string, not %s", n.kind)
		}
		pol.ID = n.s
	}
	sn := root.get("Statement")
	var elems []*jnode
	switch {
	case sn == nil:
		return nil, fmt.Errorf("Statement is missing")
	case sn.kind == jObject:
		elems = []*jnode{sn}
	case sn.kind == jArray:
		if len(sn.vals) == 0 {
			return nil, fmt.Errorf("Statement must not be empty")
		}
		elems = sn.vals
	default:
		return nil, fmt.Errorf("Statement must be an object or an array of objects, not %s", sn.kind)
	}
	sids := make(map[string]int)
	for i, e := range elems {
		path := fmt.Sprintf("Statement[%d]", i)
		s, err := p.statement(e, path)
		if err != nil {
			return nil, err
		}
		if s.Sid != "" {
			if j, dup := sids[s.Sid]; dup {
				return nil, fmt.Errorf("%s.Sid %q is already used by Statement[%d]", path, s.Sid, j)
			}
			sids[s.Sid] = i
		}
		pol.Statements = append(pol.Statements, s)
	}
	return pol, nil
}

// onlyFields refuses object members other than names. Field names are
// case-sensitive, as in AWS.
func onlyFields(n *jnode, path string, names ...string) error {
next:
	for _, k := range n.keys {
		for _, name := range names {
			if k == name {
				continue next
			}
		}
		return errors.New(at(path, fmt.Sprintf("unknown field %q", k)))
	}
	return nil
}

func (p *parser) statement(n *jnode, path string) (*Statement, error) {
	if n.kind != jObject {
		return nil, fmt.Errorf("%s must be an object, not %s", path, n.kind)
	}
	if err := onlyFields(n, path, "Sid", "Effect", "Principal", "NotPrincipal", "Action",
		"NotAction", "Resource", "NotResource", "Condition"); err != nil {
		return nil, err
	}
	s := &Statement{}
	if v := n.get("Sid"); v != nil {
		if v.kind != jString {
			return nil, fmt.Errorf("%s.Sid must be a string, not %s", path, v.kind)
		}
		s.Sid = v.s
	}
	switch v := n.get("Effect"); {
	case v == nil:
		return nil, fmt.Errorf("%s.Effect is missing", path)
	case v.kind == jString && v.s == "Allow":
		s.Effect = EffectAllow
	case v.kind == jString && v.s == "Deny":
		s.Effect = EffectDeny
	case v.kind == jString:
		return nil, fmt.Errorf("%s.Effect must be Allow or Deny, got %q", path, v.s)
	default:
		return nil, fmt.Errorf("%s.Effect must be Allow or Deny, not %s", path, v.kind)
	}

	// Principal.
	pn, npn := n.get("Principal"), n.get("NotPrincipal")
	switch {
	case pn != nil && npn != nil:
		return nil, fmt.Errorf("%s: Principal and NotPrincipal both set", path)
	case p.kind == KindIdentity && pn != nil:
		return nil, fmt.Errorf("%s: Principal is not allowed in an identity policy", path)
	case p.kind == KindIdentity && npn != nil:
		return nil, fmt.Errorf("%s: NotPrincipal is not allowed in an identity policy", path)
	case p.kind == KindBucket && pn == nil && npn == nil:
		return nil, fmt.Errorf("%s: Principal or NotPrincipal is required in a bucket policy", path)
	}
	var err error
	if pn != nil {
		if s.Principal, err = principal(pn, path+".Principal"); err != nil {
			return nil, err
		}
	}
	if npn != nil {
		if s.NotPrincipal, err = principal(npn, path+".NotPrincipal"); err != nil {
			return nil, err
		}
	}

	// Action.
	an, nan := n.get("Action"), n.get("NotAction")
	field := "Action"
	switch {
	case an != nil && nan != nil:
		return nil, fmt.Errorf("%s: Action and NotAction both set", path)
	case an == nil && nan == nil:
		return nil, fmt.Errorf("%s: Action or NotAction is required", path)
	case nan != nil:
		an, field = nan, "NotAction"
	}
	list, err := stringList(an, path+"."+field)
	if err != nil {
		return nil, err
	}
	for i, a := range list {
		pat, err := p.action(a, elemPath(path+"."+field, i, an))
		if err != nil {
			return nil, err
		}
		s.actions = append(s.actions, pat)
	}
	if field == "Action" {
		s.Action = list
	} else {
		s.NotAction = list
	}

	// Resource.
	rn, nrn := n.get("Resource"), n.get("NotResource")
	field = "Resource"
	switch {
	case rn != nil && nrn != nil:
		return nil, fmt.Errorf("%s: Resource and NotResource both set", path)
	case rn == nil && nrn == nil:
		return nil, fmt.Errorf("%s: Resource or NotResource is required", path)
	case nrn != nil:
		rn, field = nrn, "NotResource"
	}
	if list, err = stringList(rn, path+"."+field); err != nil {
		return nil, err
	}
	for i, r := range list {
		ep := elemPath(path+"."+field, i, rn)
		if r != "*" && (!strings.HasPrefix(r, "arn:") || strings.Count(r, ":") < 5) {
			return nil, fmt.Errorf("%s %q is not \"*\" or an ARN", ep, r)
		}
		pat, err := compilePattern(r, true, p.vars, p.checkVar())
		if err != nil {
			return nil, fmt.Errorf("%s: %v", ep, err)
		}
		s.resources = append(s.resources, pat)
	}
	if field == "Resource" {
		s.Resource = list
	} else {
		s.NotResource = list
	}

	if cn := n.get("Condition"); cn != nil {
		if s.Conditions, err = p.conditions(cn, path+".Condition"); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// elemPath names element i of a string-or-list field: the field itself
// when it was a single string.
func elemPath(path string, i int, node *jnode) string {
	if node.kind == jString {
		return path
	}
	return fmt.Sprintf("%s[%d]", path, i)
}

// stringList reads a field that is a string or a non-empty array of
// strings.
func stringList(n *jnode, path string) ([]string, error) {
	switch n.kind {
	case jString:
		return []string{n.s}, nil
	case jArray:
		if len(n.vals) == 0 {
			return nil, fmt.Errorf("%s must not be empty", path)
		}
		out := make([]string, len(n.vals))
		for i, v := range n.vals {
			if v.kind != jString {
				return nil, fmt.Errorf("%s[%d] must be a string, not %s", path, i, v.kind)
			}
			out[i] = v.s
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s must be a string or an array of strings, not %s", path, n.kind)
}

func (p *parser) action(a, path string) (pattern, error) {
	if a == "*" {
		return pattern{{kind: tokStar}}, nil
	}
	svc, name, ok := strings.Cut(a, ":")
	if !ok || name == "" || !validService(svc) {
		return nil, fmt.Errorf("%s %q is not \"*\" or service:action", path, a)
	}
	lower := strings.ToLower(a)
	pat, _ := compilePattern(lower, true, false, nil) // cannot fail without vars
	if p.strict() && strings.EqualFold(svc, "s3") && !p.knownS3Action(pat) {
		return nil, fmt.Errorf("%s: unknown action %s", path, a)
	}
	return pat, nil
}

func (p *parser) knownS3Action(pat pattern) bool {
	if p.s3Actions == nil {
		for _, a := range s3ActionNames() {
			p.s3Actions = append(p.s3Actions, "s3:"+strings.ToLower(a))
		}
	}
	for _, a := range p.s3Actions {
		if pat.match(a) {
			return true
		}
	}
	return false
}

func validService(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func principal(n *jnode, path string) (*Principal, error) {
	if n.kind == jString {
		if n.s != "*" {
			return nil, fmt.Errorf("%s must be \"*\" or an object such as {\"AWS\": \"...\"}, got %q", path, n.s)
		}
		return &Principal{Any: true}, nil
	}
	if n.kind != jObject {
		return nil, fmt.Errorf("%s must be \"*\" or an object such as {\"AWS\": \"...\"}, not %s", path, n.kind)
	}
	if len(n.keys) == 0 {
		return nil, fmt.Errorf("%s must not be empty", path)
	}
	pr := &Principal{}
	for i, k := range n.keys {
		fp := path + "." + k
		list, err := stringList(n.vals[i], fp)
		if err != nil {
			return nil, err
		}
		for j, v := range list {
			if v == "" {
				return nil, fmt.Errorf("%s must not be empty", elemPath(fp, j, n.vals[i]))
			}
		}
		switch k {
		case "AWS":
			pr.AWS = list
			for j, v := range list {
				norm, ok := normalizePrincipal(v)
				if !ok {
					return nil, fmt.Errorf("%s %q is not \"*\", an account id or an IAM ARN (wildcards are not allowed)",
						elemPath(fp, j, n.vals[i]), v)
				}
				pr.aws = append(pr.aws, norm)
			}
		case "Service":
			pr.Service = list
		case "Federated":
			pr.Federated = list
		case "CanonicalUser":
			pr.CanonicalUser = list
		default:
			return nil, fmt.Errorf("%s: unknown principal type %q", path, k)
		}
	}
	return pr, nil
}

// normalizePrincipal validates an AWS principal and turns a bare 12-digit
// account id into the account's root ARN.
func normalizePrincipal(v string) (string, bool) {
	switch {
	case v == "*":
		return v, true
	case len(v) == 12 && isDigits(v):
		return RootARN(v), true
	case strings.HasPrefix(v, "arn:") && strings.Count(v, ":") >= 5 && !strings.ContainsAny(v, "*?"):
		return v, true
	}
	return "", false
}

func (p *parser) conditions(n *jnode, path string) ([]*Condition, error) {
	if n.kind != jObject {
		return nil, fmt.Errorf("%s must be an object, not %s", path, n.kind)
	}
	var out []*Condition
	for i, opName := range n.keys {
		op, set, ifExists, err := parseOperator(opName)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		opPath := path + "." + opName
		block := n.vals[i]
		if block.kind != jObject {
			return nil, fmt.Errorf("%s must be an object of condition keys, not %s", opPath, block.kind)
		}
		if len(block.keys) == 0 {
			return nil, fmt.Errorf("%s must not be empty", opPath)
		}
		for j, key := range block.keys {
			keyPath := opPath + "." + key
			if key == "" {
				return nil, fmt.Errorf("%s: condition key must not be empty", opPath)
			}
			if p.strict() && !knownKey(key) {
				return nil, fmt.Errorf("%s: unknown condition key %s", opPath, key)
			}
			vals, err := conditionValues(block.vals[j], keyPath)
			if err != nil {
				return nil, err
			}
			c := &Condition{Operator: opName, Key: key, Values: vals, op: op, set: set, ifExists: ifExists}
			if err := c.compile(p.vars, p.checkVar()); err != nil {
				return nil, fmt.Errorf("%s: %v", keyPath, err)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// conditionValues reads a condition key's value: a scalar or a non-empty
// array of scalars. Numbers and booleans keep their JSON spelling.
func conditionValues(n *jnode, path string) ([]string, error) {
	scalar := func(v *jnode) bool { return v.kind == jString || v.kind == jNumber || v.kind == jBool }
	if scalar(n) {
		return []string{n.s}, nil
	}
	if n.kind != jArray {
		return nil, fmt.Errorf("%s must be a string, number, boolean or an array of them, not %s", path, n.kind)
	}
	if len(n.vals) == 0 {
		return nil, fmt.Errorf("%s must not be empty", path)
	}
	out := make([]string, len(n.vals))
	for i, v := range n.vals {
		if !scalar(v) {
			return nil, fmt.Errorf("%s[%d] must be a string, number or boolean, not %s", path, i, v.kind)
		}
		out[i] = v.s
	}
	return out, nil
}
