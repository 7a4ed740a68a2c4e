package adminapi

import (
	"strings"

	"github.com/wormstore/wormstore/gate"
)

// Op is one row of the operation table: one (method, route) of the API.
// It is the admin API's view of a gate.Op row: the row comes from gate's one
// operation table, the method and route from its action.
type Op struct {
	// Method is the HTTP method.
	Method string
	// Route is the path pattern below Prefix, e.g. "users/{user}/keys".
	Route string
	// Name is the operation's name in audit entries, e.g.
	// "AdminAttachUserPolicy".
	Name string
	// Action is the IAM action an identity policy must allow for a user to
	// call the operation: "admin:<Method>/<Route>".
	Action string
	// Mutating operations change identities or storage. They write an
	// intent entry before they take effect and a result entry after.
	Mutating bool
	// Audited operations write a result entry before their response. Every
	// mutating operation is audited; every operation is audited when denied.
	Audited bool
	// Body is set for the one operation with a request body (a policy
	// document); it is read and checked against its signed hash before the
	// intent entry, which records its hash.
	Body bool
}

// bodyOps are the operations whose request body is read before the
// intent entry (a policy document).
var bodyOps = map[string]bool{"AdminAttachUserPolicy": true, "AdminSetTier": true}

// Ops returns the admin API's rows of the one operation table
// (gate.Ops), one row per route, in documentation order, with the method
// and route its action names. The slice is the caller's.
func Ops() []Op {
	var rows []Op
	for _, o := range gate.Ops() {
		rest, ok := strings.CutPrefix(o.Action, gate.AdminActionPrefix)
		if !ok {
			continue
		}
		method, route, _ := strings.Cut(rest, "/")
		rows = append(rows, Op{Method: method, Route: route, Name: o.Name, Action: o.Action,
			Mutating: o.Mutating, Audited: o.Audited, Body: bodyOps[o.Name]})
	}
	return rows
}

// ActionFor names the admin action of a method and route pattern.
func ActionFor(method, route string) string { return gate.AdminAction(method, route) }

// opRow is an Op with its handler.
type opRow struct {
	Op
	handle adminRoute
}
