package main

import (
	"fmt"
	"github.com/wormstore/wormstore/adminapi"
	"net/http"
	"text/tabwriter"
	"time"
)

// adminClockCmd is `wormstore admin clock`.
type adminClockCmd struct{}

func (cmd *adminClockCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var s adminapi.Clock
	if err := c.callJSON(env.ctx, http.MethodGet, "clock", nil, &s); err != nil {
		return err
	}
	if a.JSON {
		return adminPrintJSON(env.stdout, s)
	}
	behind := time.Duration(s.BehindSeconds * float64(time.Second)).Round(time.Millisecond)
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Clock\t%s\n", s.Clock.UTC().Format(time.RFC3339Nano))
	fmt.Fprintf(tw, "High-water mark\t%s\n", s.HighWater.UTC().Format(time.RFC3339Nano))
	fmt.Fprintf(tw, "Judged time\t%s\n", s.Judged.UTC().Format(time.RFC3339Nano))
	fmt.Fprintf(tw, "Clock behind mark\t%s\n", behind)
	if err := tw.Flush(); err != nil {
		return err
	}
	if s.Warning != "" {
		fmt.Fprintf(env.stdout, "\nWARNING: %s\n", s.Warning)
	}
	return nil
}
