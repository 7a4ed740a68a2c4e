package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/wormstore/wormstore/iam"
	"github.com/wormstore/wormstore/identity"
)

// Admin API authorisation. Root may call everything. An IAM user may call
// an endpoint when its identity policies allow the admin action
// "admin:<METHOD>/<route>", e.g. "admin:GET/stats", "admin:POST/compact",
// "admin:GET/users/{user}"; policies grant with wildcards: "admin:*" for
// everything, "admin:GET/*" for read-only administration.

// adminActionFor names the admin action of a request.
func adminActionFor(method, routeKey string) string {
	return "admin:" + method + "/" + routeKey
}

// switchableCreds lets the admin listener (up before recovery) start with
// the root credentials and switch to the identity store once it is open.
type switchableCreds struct {
	root  credentialLookup
	users atomic.Pointer[identity.Store]
}

type credentialLookup interface {
	Lookup(accessKey string) (string, bool)
}

func (c *switchableCreds) Lookup(ak string) (string, bool) {
	if s := c.users.Load(); s != nil {
		return s.Lookup(ak)
	}
	return c.root.Lookup(ak)
}

// authorizeAdmin refuses a user request its policies do not allow. Without
// an identity store only root can authenticate at all.
func (a *adminAPI) authorizeAdmin(r *http.Request, accessKey, routeKey string) error {
	ps := a.principals.Load()
	if ps == nil {
		return nil // only root credentials exist
	}
	p, ok := ps.Principal(accessKey)
	if !ok {
		return &adminError{http.StatusForbidden, "AccessDenied", "unknown or disabled access key"}
	}
	if p.Root {
		return nil
	}
	action := adminActionFor(r.Method, routeKey)
	d := iam.Evaluate(p.Policies, nil, iam.Request{Action: action, Resource: "*", Principal: p.ARN, Username: p.User,
		Context: map[string][]string{iam.KeyUsername: {p.User}}})
	if !d.Allowed() {
		return &adminError{http.StatusForbidden, "AccessDenied",
			fmt.Sprintf("user %s is not allowed %s (grant it with an identity policy, e.g. Action %q)", p.User, action, "admin:"+strings.ToUpper(r.Method)+"/*")}
	}
	return nil
}
