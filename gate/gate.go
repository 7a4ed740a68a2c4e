package gate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"time"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/iam"
	"github.com/wormstore/wormstore/identity"
)

// Doors, for Scope.Door and the audit entry's source.
const (
	DoorS3      = "s3"
	DoorConsole = "console"
	DoorAdmin   = "admin"
)

// Defaults of Config.
const (
	DefaultAnonymousBurst    = 10
	DefaultAnonymousInterval = time.Minute
	DefaultAnonymousSources  = 4096
)

// Config configures a Gate. New copies it.
type Config struct {
	// Engine is the store whose clock judges time conditions and whose
	// audit stream records every decision. Required.
	Engine *engine.Engine
	// Logger receives audit failures. Default: discard.
	Logger *slog.Logger
	// AnonymousBurst is how many refusals of unauthenticated requests
	// per source address and interval are audited one by one; the rest
	// are counted into one summary entry. Default 10; negative means
	// no per-request entries at all (summaries only).
	AnonymousBurst int
	// AnonymousInterval is the length of that interval. Default 1 minute.
	AnonymousInterval time.Duration
	// AnonymousSources bounds the number of source addresses tracked;
	// refusals from further addresses share one "(other sources)"
	// counter. Default 4096.
	AnonymousSources int
}

// Gate is the door's shared decision maker. It is safe for concurrent use.
type Gate struct {
	eng      *engine.Engine
	log      *slog.Logger
	ops      map[string]Op
	policies iam.PolicyCache
	anon     *anonLimiter
}

// New returns a Gate for cfg.
func New(cfg Config) (*Gate, error) {
	if cfg.Engine == nil {
		return nil, errors.New("gate: Config.Engine is nil")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.AnonymousBurst == 0 {
		cfg.AnonymousBurst = DefaultAnonymousBurst
	}
	if cfg.AnonymousBurst < 0 {
		cfg.AnonymousBurst = 0
	}
	if cfg.AnonymousInterval == 0 {
		cfg.AnonymousInterval = DefaultAnonymousInterval
	}
	if cfg.AnonymousInterval < 0 {
		return nil, fmt.Errorf("gate: Config.AnonymousInterval %v is negative", cfg.AnonymousInterval)
	}
	if cfg.AnonymousSources <= 0 {
		cfg.AnonymousSources = DefaultAnonymousSources
	}
	return &Gate{
		eng: cfg.Engine, log: cfg.Logger, ops: opTable(),
		anon: newAnonLimiter(cfg.AnonymousBurst, cfg.AnonymousInterval, cfg.AnonymousSources),
	}, nil
}

// Op returns the table row of the operation name; an unknown name gets a
// fail-safe row (mutating, audited, no IAM action).
func (g *Gate) Op(name string) Op {
	if o, ok := g.ops[name]; ok {
		return o
	}
	return unknownOp(name)
}

// Engine returns the store the gate judges and audits for.
func (g *Gate) Engine() *engine.Engine { return g.eng }

// Now is the time every decision is judged at: the engine's clock
// (max(clock, persisted high-water mark)), the same one the lock rules use.
func (g *Gate) Now() time.Time { return g.eng.Now() }

// Caller is who a request acts for and where it comes from.
type Caller struct {
	// Authenticated is set once the request's credentials verified.
	Authenticated bool
	// AccessKey is the access key the request was signed with, or the
	// console session's.
	AccessKey string
	// Principal is the resolved identity; nil for an authenticated caller
	// means the deployment has no users and everyone is root.
	Principal *identity.Principal
	// SourceIP is the client address without port.
	SourceIP string
	// SecureTransport is set for TLS connections.
	SecureTransport bool
}

// IsRoot reports whether the caller may do everything a policy could
// allow.
func (c *Caller) IsRoot() bool {
	return c.Authenticated && (c.Principal == nil || c.Principal.Root)
}

// UserName is the caller's user name ("root" for root, "" if unknown).
func (c *Caller) UserName() string {
	switch {
	case !c.Authenticated || c.Principal == nil:
		return ""
	case c.Principal.Root:
		return "root"
	}
	return c.Principal.User
}

// auditName is how the audit stream names the caller.
func (c *Caller) auditName() string {
	if !c.Authenticated {
		if c.AccessKey != "" {
			return c.AccessKey + " (unauthenticated)"
		}
		return ""
	}
	if u := c.UserName(); u != "" {
		return c.AccessKey + " (" + u + ")"
	}
	return c.AccessKey
}

// Check is one authorization question.
type Check struct {
	// Action is the IAM action, e.g. Op.ActionFor(versionID != "").
	Action string
	// Bucket names the bucket whose policy applies ("" for none).
	Bucket string
	// Resource is the ARN acted on (iam.ResourceFor, iam.ObjectARN).
	Resource string
	// VersionID sets s3:versionid when not empty.
	VersionID string
	// Cond holds the request's own condition keys (listing keys, LockCond).
	Cond map[string][]string
}

// BaseCond returns the condition keys every request has: transport,
// aws:CurrentTime and aws:EpochTime on the engine's clock, source address,
// user id and, if versionID is set, s3:versionid.
func (g *Gate) BaseCond(c *Caller, versionID string) map[string][]string {
	now := g.Now().UTC()
	m := map[string][]string{
		iam.KeySecureTransport: {strconv.FormatBool(c.SecureTransport)},
		iam.KeyCurrentTime:     {now.Format(time.RFC3339)},
		iam.KeyEpochTime:       {strconv.FormatInt(now.Unix(), 10)},
	}
	if c.SourceIP != "" {
		m[iam.KeySourceIP] = []string{c.SourceIP}
	}
	if p := c.Principal; p != nil {
		if p.Root {
			m[iam.KeyUserID] = []string{identity.AccountID}
		} else {
			m[iam.KeyUserID] = []string{p.User}
		}
	}
	if versionID != "" {
		m[iam.KeyVersionID] = []string{versionID}
	}
	return m
}

// LockCond returns the s3:object-lock-* keys of a request asking for a
// legal hold ("ON"/"OFF", "" for none) and a retention (mode "" for none);
// the remaining retention days are counted from the engine's clock.
func (g *Gate) LockCond(hold, mode string, until time.Time) map[string][]string {
	c := map[string][]string{}
	if hold != "" {
		c[iam.KeyObjectLockLegalHold] = []string{hold}
	}
	if mode != "" {
		c[iam.KeyObjectLockMode] = []string{mode}
		c[iam.KeyObjectLockRetainUntilDate] = []string{until.UTC().Format(time.RFC3339)}
		c[iam.KeyObjectLockRemainingRetentionDays] = []string{strconv.FormatInt(iam.RemainingRetentionDays(g.Now(), until), 10)}
	}
	return c
}

// TagCond returns the object-tagging condition keys: s3:ExistingObjectTag/<k>
// for each tag of the version acted on (existing), and, when requested is
// non-nil (the request writes a tag set, possibly empty),
// s3:RequestObjectTag/<k> for each of its tags and s3:RequestObjectTagKeys
// listing its keys (absent for an empty set).
func TagCond(existing, requested map[string]string) map[string][]string {
	c := map[string][]string{}
	for k, v := range existing {
		c[iam.KeyExistingObjectTagPrefix+k] = []string{v}
	}
	if requested != nil {
		keys := make([]string, 0, len(requested))
		for k, v := range requested {
			c[iam.KeyRequestObjectTagPrefix+k] = []string{v}
			keys = append(keys, k)
		}
		if len(keys) > 0 {
			sort.Strings(keys)
			c[iam.KeyRequestObjectTagKeys] = keys
		}
	}
	return c
}

// Allowed evaluates one check for the caller: root may do everything, an
// unauthenticated caller nothing; a user is judged by their identity
// policies and the bucket's policy with BaseCond plus chk.Cond.
func (g *Gate) Allowed(ctx context.Context, c *Caller, chk Check) (bool, error) {
	if c.IsRoot() {
		return true, nil
	}
	if !c.Authenticated || c.Principal == nil || chk.Action == "" {
		return false, nil
	}
	var resPolicies []*iam.Policy
	if chk.Bucket != "" {
		if bi, err := g.eng.Bucket(ctx, chk.Bucket); err == nil && bi.Policy != "" {
			p, err := g.policies.BucketPolicy(bi.Policy)
			if err != nil {
				return false, fmt.Errorf("gate: bucket policy of %s: %w", chk.Bucket, err)
			}
			resPolicies = append(resPolicies, p)
		}
	}
	cond := g.BaseCond(c, chk.VersionID)
	for k, v := range chk.Cond {
		cond[k] = v
	}
	p := c.Principal
	d := iam.Evaluate(p.Policies, resPolicies, iam.Request{
		Action: chk.Action, Resource: chk.Resource, Principal: p.ARN, Username: p.User, Context: cond,
	})
	return d.Allowed(), nil
}

// MayBypass is the one GOVERNANCE-bypass rule: a request that asked to
// bypass GOVERNANCE retention on bucket/key (versionID "" for the latest)
// exercises the bypass only if the caller may (root, or
// s3:BypassGovernanceRetention allowed). Without the permission the
// request goes on as if no bypass had been asked for, so the engine's lock
// rules refuse a delete or shortening of a GOVERNANCE-protected version
// (AccessDenied) and allow what needs no bypass — as AWS does.
func (g *Gate) MayBypass(ctx context.Context, c *Caller, requested bool, bucket, key, versionID string) (bool, error) {
	if !requested {
		return false, nil
	}
	return g.Allowed(ctx, c, Check{
		Action: iam.ActionBypassGovernanceRetention, Bucket: bucket, Resource: iam.ObjectARN(bucket, key), VersionID: versionID,
	})
}
