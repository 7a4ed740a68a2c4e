package adminapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/wormstore/wormstore/gate"
	"github.com/wormstore/wormstore/iam"
	"github.com/wormstore/wormstore/identity"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// Admin API authorisation. Root may call everything. An IAM user may call
// an operation when its identity policies allow the op table row's admin
// action "admin:<METHOD>/<route>", e.g. "admin:GET/stats",
// "admin:POST/compact", "admin:GET/users/{user}"; policies grant with
// wildcards: "admin:*" for everything, "admin:GET/*" for read-only
// administration. The decision is the gate's (Gate.Allowed), on the
// engine's clock.

// switchableCreds lets the admin listener (up before recovery) start with
// the root credentials and switch to the identity store once it is open.
type switchableCreds struct {
	root  sigv4.CredentialStore
	users atomic.Pointer[identity.Store]
}

func (c *switchableCreds) Lookup(ak string) (string, bool) {
	if s := c.users.Load(); s != nil {
		return s.Lookup(ak)
	}
	return c.root.Lookup(ak)
}

// authorizeAdmin resolves the authenticated caller, records it in the
// request's audit scope and refuses a user request its policies do not
// allow. The decision is gate's one authorization call (Gate.Allowed), so
// conditions are judged on the engine's clock like S3's and the
// console's. Without an identity store only root can authenticate at all.
func (a *API) authorizeAdmin(ctx context.Context, rq *adminRequest, accessKey string, op Op) error {
	c := gate.Caller{Authenticated: true, AccessKey: accessKey, SourceIP: remoteHost(rq.r.RemoteAddr), SecureTransport: rq.r.TLS != nil}
	ps := a.principals.Load()
	if ps == nil {
		rq.setCaller(c) // only root credentials exist
		return nil
	}
	p, ok := ps.Principal(accessKey)
	if !ok {
		rq.setCaller(c)
		return &StatusError{http.StatusForbidden, "AccessDenied", "unknown or disabled access key"}
	}
	if p.Root {
		// Principal nil is root too (Caller.IsRoot); the admin stream
		// names root by its bare access key, as it always has.
		rq.setCaller(c)
		return nil
	}
	c.Principal = &p
	rq.setCaller(c)
	if rq.g == nil {
		return errNotReady // users are judged on the engine's clock
	}
	allowed, err := rq.g.Allowed(ctx, &c, gate.Check{Action: op.Action, Resource: "*",
		Cond: map[string][]string{iam.KeyUsername: {p.User}}})
	if err != nil {
		return err
	}
	if !allowed {
		return &StatusError{http.StatusForbidden, "AccessDenied",
			fmt.Sprintf("user %s is not allowed %s (grant it with an identity policy, e.g. Action %q)", p.User, op.Action, "admin:"+strings.ToUpper(op.Method)+"/*")}
	}
	return nil
}
