package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wormstore/wormstore/adminapi"
)

// adminUserCmd is `wormstore admin user`.
type adminUserCmd struct {
	Add    adminUserAddCmd    `cmd:"" help:"Create a user (without keys; add one with user key add)."`
	List   adminUserListCmd   `cmd:"" help:"List users."`
	Info   adminUserInfoCmd   `cmd:"" help:"Show a user's access keys and policies."`
	Remove adminUserRemoveCmd `cmd:"" help:"Delete a user; its keys stop working at once."`
	Key    adminUserKeyCmd    `cmd:"" help:"Manage a user's access keys."`
}

type adminUserAddCmd struct {
	Name string `arg:"" help:"User name."`
}

type adminUserListCmd struct{}

type adminUserInfoCmd struct {
	Name string `arg:"" help:"User name."`
}

type adminUserRemoveCmd struct {
	Name string `arg:"" help:"User name."`
}

type adminUserKeyCmd struct {
	Add     adminKeyAddCmd     `cmd:"" help:"Create an access key; its secret is printed this once."`
	Disable adminKeyDisableCmd `cmd:"" help:"Disable an access key; it stops working at once."`
	Enable  adminKeyEnableCmd  `cmd:"" help:"Enable a disabled access key."`
	Remove  adminKeyRemoveCmd  `cmd:"" help:"Delete an access key."`
	Rotate  adminKeyRotateCmd  `cmd:"" help:"Create a new access key and disable the old one (remove it once clients use the new one)."`
}

type adminKeyAddCmd struct {
	User string `arg:"" help:"User name."`
}

type adminKeyStatusCmd struct {
	User      string `arg:"" help:"User name."`
	AccessKey string `arg:"" help:"Access key ID."`
}

type (
	adminKeyDisableCmd struct{ adminKeyStatusCmd }
	adminKeyEnableCmd  struct{ adminKeyStatusCmd }
	adminKeyRemoveCmd  struct{ adminKeyStatusCmd }
)

func (cmd *adminKeyDisableCmd) Run(env *runEnv, a *adminCmd) error { return cmd.run(env, a, "disable") }
func (cmd *adminKeyEnableCmd) Run(env *runEnv, a *adminCmd) error  { return cmd.run(env, a, "enable") }
func (cmd *adminKeyRemoveCmd) Run(env *runEnv, a *adminCmd) error  { return cmd.run(env, a, "remove") }

type adminKeyRotateCmd struct {
	User      string `arg:"" help:"User name."`
	AccessKey string `arg:"" help:"Access key ID to replace."`
}

// adminPolicyCmd is `wormstore admin policy`: a user's identity policies.
type adminPolicyCmd struct {
	Attach adminPolicyAttachCmd `cmd:"" help:"Attach (or replace) a named policy of a user."`
	Show   adminPolicyShowCmd   `cmd:"" help:"Print a user's named policy."`
	Detach adminPolicyDetachCmd `cmd:"" help:"Remove a named policy from a user."`
}

type adminPolicyAttachCmd struct {
	User string `arg:"" help:"User name."`
	Name string `arg:"" help:"Policy name."`
	File string `required:"" short:"f" help:"Policy document (IAM JSON); - reads standard input." placeholder:"FILE"`
}

type adminPolicyShowCmd struct {
	User string `arg:"" help:"User name."`
	Name string `arg:"" help:"Policy name."`
}

type adminPolicyDetachCmd struct {
	User string `arg:"" help:"User name."`
	Name string `arg:"" help:"Policy name."`
}

// userPath returns the API path of a user, with more path elements.
func userPath(user string, more ...string) string {
	p := "users/" + url.PathEscape(user)
	for _, m := range more {
		p += "/" + url.PathEscape(m)
	}
	return p
}

func (cmd *adminUserAddCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var u adminapi.User
	if err := c.callJSON(env.ctx, http.MethodPut, userPath(cmd.Name), nil, &u); err != nil {
		return err
	}
	if a.JSON {
		return adminPrintJSON(env.stdout, u)
	}
	fmt.Fprintf(env.stdout, "User %s created; add an access key with: wormstore admin user key add %s\n", u.Name, u.Name)
	return nil
}

func (cmd *adminUserListCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var out struct {
		Users []adminapi.User `json:"users"`
	}
	if err := c.callJSON(env.ctx, http.MethodGet, "users", nil, &out); err != nil {
		return err
	}
	if a.JSON {
		return adminPrintJSON(env.stdout, out)
	}
	if len(out.Users) == 0 {
		fmt.Fprintln(env.stdout, "No users.")
		return nil
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKEYS\tPOLICIES")
	for _, u := range out.Users {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, keysText(u.Keys), listText(u.Policies))
	}
	return tw.Flush()
}

// keysText returns "2 (1 active)".
func keysText(keys []adminapi.AccessKey) string {
	active := 0
	for _, k := range keys {
		if k.Active {
			active++
		}
	}
	return fmt.Sprintf("%d (%d active)", len(keys), active)
}

func listText(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ", ")
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func (cmd *adminUserInfoCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var u adminapi.User
	if err := c.callJSON(env.ctx, http.MethodGet, userPath(cmd.Name), nil, &u); err != nil {
		return err
	}
	if a.JSON {
		return adminPrintJSON(env.stdout, u)
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Name:\t%s\n", u.Name)
	fmt.Fprintf(tw, "Created:\t%s\n", timeText(u.Created))
	fmt.Fprintf(tw, "Policies:\t%s\n", listText(u.Policies))
	fmt.Fprintf(tw, "Access keys:\t%s\n", keysText(u.Keys))
	for _, k := range u.Keys {
		status := "active"
		if !k.Active {
			status = "disabled"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", k.AccessKey, status, timeText(k.Created))
	}
	return tw.Flush()
}

func (cmd *adminUserRemoveCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	if err := c.callJSON(env.ctx, http.MethodDelete, userPath(cmd.Name), nil, &struct{}{}); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "User %s removed.\n", cmd.Name)
	return nil
}

// createKey creates an access key for user and prints it with its secret.
func createKey(ctx context.Context, c *adminClient, a *adminCmd, w io.Writer, user string) (adminapi.AccessKey, error) {
	var k adminapi.AccessKey
	if err := c.callJSON(ctx, http.MethodPost, userPath(user, "keys"), nil, &k); err != nil {
		return k, err
	}
	if a.JSON {
		return k, adminPrintJSON(w, k)
	}
	fmt.Fprintf(w, "Access key: %s\nSecret key: %s\n", k.AccessKey, k.SecretKey)
	fmt.Fprintln(w, "Store the secret key now: it is not shown again.")
	return k, nil
}

func (cmd *adminKeyAddCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	_, err = createKey(env.ctx, c, a, env.stdout, cmd.User)
	return err
}

// run serves key disable, enable and remove.
func (cmd *adminKeyStatusCmd) run(env *runEnv, a *adminCmd, verb string) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	method, path, done := http.MethodPost, userPath(cmd.User, "keys", cmd.AccessKey, verb), verb+"d"
	if verb == "remove" {
		method, path, done = http.MethodDelete, userPath(cmd.User, "keys", cmd.AccessKey), "removed"
	}
	if err := c.callJSON(env.ctx, method, path, nil, &struct{}{}); err != nil {
		return err
	}
	if !a.JSON {
		fmt.Fprintf(env.stdout, "Access key %s of %s %s.\n", cmd.AccessKey, cmd.User, done)
	}
	return nil
}

func (cmd *adminKeyRotateCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	// Check the old key exists before creating a new one.
	var u adminapi.User
	if err := c.callJSON(env.ctx, http.MethodGet, userPath(cmd.User), nil, &u); err != nil {
		return err
	}
	found := false
	for _, k := range u.Keys {
		found = found || k.AccessKey == cmd.AccessKey
	}
	if !found {
		return fmt.Errorf("user %s has no access key %s", cmd.User, cmd.AccessKey)
	}
	if _, err := createKey(env.ctx, c, a, env.stdout, cmd.User); err != nil {
		return err
	}
	if err := c.callJSON(env.ctx, http.MethodPost, userPath(cmd.User, "keys", cmd.AccessKey, "disable"), nil, &struct{}{}); err != nil {
		return fmt.Errorf("the new key was created, but disabling %s failed: %w", cmd.AccessKey, err)
	}
	if !a.JSON {
		fmt.Fprintf(env.stdout, "Access key %s disabled; remove it with: wormstore admin user key remove %s %s\n", cmd.AccessKey, cmd.User, cmd.AccessKey)
	}
	return nil
}

func (cmd *adminPolicyAttachCmd) Run(env *runEnv, a *adminCmd) error {
	var doc []byte
	var err error
	if cmd.File == "-" {
		doc, err = io.ReadAll(io.LimitReader(os.Stdin, adminapi.MaxPolicySize+1))
	} else {
		doc, err = os.ReadFile(cmd.File)
	}
	if err != nil {
		return fmt.Errorf("read policy: %w", err)
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	resp, err := c.doBody(env.ctx, http.MethodPut, userPath(cmd.User, "policies", cmd.Name), nil, doc)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if !a.JSON {
		fmt.Fprintf(env.stdout, "Policy %s attached to %s.\n", cmd.Name, cmd.User)
	}
	return nil
}

func (cmd *adminPolicyShowCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var doc json.RawMessage
	if err := c.callJSON(env.ctx, http.MethodGet, userPath(cmd.User, "policies", cmd.Name), nil, &doc); err != nil {
		return err
	}
	return adminPrintJSON(env.stdout, doc)
}

func (cmd *adminPolicyDetachCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	if err := c.callJSON(env.ctx, http.MethodDelete, userPath(cmd.User, "policies", cmd.Name), nil, &struct{}{}); err != nil {
		return err
	}
	if !a.JSON {
		fmt.Fprintf(env.stdout, "Policy %s detached from %s.\n", cmd.Name, cmd.User)
	}
	return nil
}
