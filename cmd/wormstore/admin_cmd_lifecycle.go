package main

import (
	"fmt"
	"net/http"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/wormstore/wormstore/adminapi"
)

// adminLifecycleCmd is `wormstore admin lifecycle`.
type adminLifecycleCmd struct {
	Run adminLifecycleRunCmd `cmd:"" help:"Run a lifecycle pass now and print what it did (removals are audited with source lifecycle; locked versions are kept and counted)."`
}

type adminLifecycleRunCmd struct {
	Bucket string `help:"Only this bucket (default: every bucket with a lifecycle configuration)." placeholder:"NAME"`
}

func (cmd *adminLifecycleRunCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var q url.Values
	if cmd.Bucket != "" {
		q = url.Values{"bucket": {cmd.Bucket}}
	}
	var res adminapi.LifecycleRun
	if err := c.callJSON(env.ctx, http.MethodPost, "lifecycle/run", q, &res); err != nil {
		return err
	}
	if a.JSON {
		return adminPrintJSON(env.stdout, res)
	}
	scope := "every bucket"
	if res.Bucket != "" {
		scope = "bucket " + res.Bucket
	}
	fmt.Fprintf(env.stdout, "Lifecycle pass %s over %s: %s with rules, %s and %s evaluated (%s).\n", res.RequestID, scope,
		adminPlural(res.Buckets, "bucket"), adminPlural(int(res.Versions), "version"), adminPlural(int(res.Uploads), "upload"),
		(time.Duration(res.TookMS) * time.Millisecond).String())
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Current versions expired\t%d\n", res.ExpiredCurrent)
	fmt.Fprintf(tw, "Noncurrent versions removed\t%d\n", res.RemovedNoncurrent)
	fmt.Fprintf(tw, "Expired delete markers removed\t%d\n", res.RemovedDeleteMarker)
	fmt.Fprintf(tw, "Incomplete uploads aborted\t%d\n", res.AbortedUploads)
	fmt.Fprintf(tw, "Kept: locked (retention or legal hold)\t%d\n", res.SkippedLocked)
	fmt.Fprintf(tw, "Kept: changed since listed\t%d\n", res.SkippedChanged)
	fmt.Fprintf(tw, "Errors\t%d\n", res.Errors)
	if err := tw.Flush(); err != nil {
		return err
	}
	if res.Errors > 0 {
		return fmt.Errorf("lifecycle pass: %s failed (see the server log)", adminPlural(int(res.Errors), "action"))
	}
	return nil
}
