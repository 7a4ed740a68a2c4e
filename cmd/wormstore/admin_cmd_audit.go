package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/wormstore/wormstore/adminapi"
	"github.com/wormstore/wormstore/engine"
)

// adminAuditCmd is `wormstore admin audit`: read and check the audit
// stream. Nothing here (nor in the API) can delete it.
type adminAuditCmd struct {
	Tail   adminAuditTailCmd   `cmd:"" help:"Print the newest audit entries as JSON lines."`
	Export adminAuditExportCmd `cmd:"" help:"Print every audit entry (from a sequence number on) as JSON lines."`
	Verify adminAuditVerifyCmd `cmd:"" help:"Check the audit hash chain end to end; exit status 1 if it is broken."`
}

type adminAuditTailCmd struct {
	N      int  `short:"n" help:"Number of entries to print." default:"20"`
	Follow bool `short:"f" help:"Keep printing new entries as they are appended (polls every second) until interrupted."`
}

type adminAuditExportCmd struct {
	From   uint64 `help:"First sequence number to export." default:"1"`
	Output string `short:"o" help:"Write to this file instead of standard output." type:"path" placeholder:"FILE"`
}

type adminAuditVerifyCmd struct{}

// auditPage fetches one page of the audit stream and calls fn per entry;
// it returns the number of entries.
func (c *adminClient) auditPage(ctx context.Context, q map[string]string, fn func(raw []byte, e engine.AuditEntry) error) (int, error) {
	vals := make(map[string][]string, len(q))
	for k, v := range q {
		vals[k] = []string{v}
	}
	resp, err := c.do(ctx, http.MethodGet, "audit", vals)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	n := 0
	for sc.Scan() {
		var e engine.AuditEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return n, fmt.Errorf("admin API: bad audit line: %w", err)
		}
		if err := fn(sc.Bytes(), e); err != nil {
			return n, err
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return n, fmt.Errorf("admin API: read audit stream: %w", err)
	}
	return n, nil
}

// auditExport prints entries from seq from on, page by page, and returns
// the sequence number after the last one printed.
func (c *adminClient) auditExport(ctx context.Context, w io.Writer, from uint64) (uint64, error) {
	for {
		n, err := c.auditPage(ctx, map[string]string{"from": strconv.FormatUint(from, 10), "limit": strconv.Itoa(adminapi.AuditPageMax)},
			func(raw []byte, e engine.AuditEntry) error {
				from = e.Seq + 1
				_, err := fmt.Fprintf(w, "%s\n", raw)
				return err
			})
		if err != nil || n < adminapi.AuditPageMax {
			return from, err
		}
	}
}

func (cmd *adminAuditTailCmd) Run(env *runEnv, a *adminCmd) error {
	if cmd.N < 0 || cmd.N > adminapi.AuditPageMax {
		return fmt.Errorf("-n %d is not a count from 0 to %d", cmd.N, adminapi.AuditPageMax)
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	next := uint64(1)
	if cmd.N > 0 {
		if _, err := c.auditPage(env.ctx, map[string]string{"last": strconv.Itoa(cmd.N)}, func(raw []byte, e engine.AuditEntry) error {
			next = e.Seq + 1
			_, err := fmt.Fprintf(env.stdout, "%s\n", raw)
			return err
		}); err != nil {
			return err
		}
	}
	if !cmd.Follow {
		return nil
	}
	if cmd.N == 0 {
		// Start after the current newest entry.
		if _, err := c.auditPage(env.ctx, map[string]string{"last": "1"}, func(_ []byte, e engine.AuditEntry) error {
			next = e.Seq + 1
			return nil
		}); err != nil {
			return err
		}
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-env.ctx.Done():
			return nil // interrupted: the normal end of --follow
		case <-tick.C:
		}
		if next, err = c.auditExport(env.ctx, env.stdout, next); err != nil {
			if env.ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

func (cmd *adminAuditExportCmd) Run(env *runEnv, a *adminCmd) (err error) {
	c, err := a.client()
	if err != nil {
		return err
	}
	w := env.stdout
	if cmd.Output != "" {
		f, err := os.OpenFile(cmd.Output, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer func() {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}()
		bw := bufio.NewWriter(f)
		defer func() {
			if ferr := bw.Flush(); err == nil {
				err = ferr
			}
		}()
		w = bw
	}
	_, err = c.auditExport(env.ctx, w, max(cmd.From, 1))
	return err
}

func (cmd *adminAuditVerifyCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var rep adminapi.AuditReport
	if err := c.callJSON(env.ctx, http.MethodGet, "audit/verify", nil, &rep); err != nil {
		return err
	}
	if a.JSON {
		if err := adminPrintJSON(env.stdout, rep); err != nil {
			return err
		}
	} else if len(rep.Problems) == 0 {
		head := rep.Head
		if head == "" {
			head = "-"
		}
		fmt.Fprintf(env.stdout, "audit chain OK: %s, head %s\n", auditCount(rep.Entries), head)
	} else {
		fmt.Fprintf(env.stdout, "audit chain BROKEN: %s in %s:\n", adminPlural(len(rep.Problems), "problem"), auditCount(rep.Entries))
		for _, p := range rep.Problems {
			fmt.Fprintf(env.stdout, "  %s\n", p)
		}
	}
	if len(rep.Problems) > 0 {
		return fmt.Errorf("audit verify found %s", adminPlural(len(rep.Problems), "problem"))
	}
	return nil
}

// auditCount returns "1 entry", "2 entries".
func auditCount(n uint64) string {
	if n == 1 {
		return "1 entry"
	}
	return strconv.FormatUint(n, 10) + " entries"
}
