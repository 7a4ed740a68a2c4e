package adminapi

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/wormstore/wormstore/iam"
	"github.com/wormstore/wormstore/identity"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// Admin API authorisation. Root may call everything. An IAM user may call
// an operation when its identity policies allow the op table row's admin
// action "admin:<METHOD>/<route>", e.g. "admin:GET/stats",
// "admin:POST/compact", "admin:GET/users/{user}"; policies grant with
// wildcards: "admin:*" for everything, "admin:GET/*" for read-only
// administration.

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

// authorizeAdmin refuses a user request its policies do not allow and
// records the user in rq. Without an identity store only root can
// authenticate at all.
func (a *API) authorizeAdmin(rq *adminRequest, accessKey string, op Op) error {
	ps := a.principals.Load()
	if ps == nil {
		return nil // only root credentials exist
	}
	p, ok := ps.Principal(accessKey)
	if !ok {
		return &StatusError{http.StatusForbidden, "AccessDenied", "unknown or disabled access key"}
	}
	if p.Root {
		return nil
	}
	rq.user = p.User
	d := iam.Evaluate(p.Policies, nil, iam.Request{Action: op.Action, Resource: "*", Principal: p.ARN, Username: p.User,
		Context: map[string][]string{iam.KeyUsername: {p.User}}})
	if !d.Allowed() {
		return &StatusError{http.StatusForbidden, "AccessDenied",
			fmt.Sprintf("user %s is not allowed %s (grant it with an identity policy, e.g. Action %q)", p.User, op.Action, "admin:"+strings.ToUpper(op.Method)+"/*")}
	}
	return nil
}
