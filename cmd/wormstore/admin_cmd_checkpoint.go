package main

import (
	"errors"
	"fmt"
	"github.com/wormstore/wormstore/adminapi"
	"net/http"
	"text/tabwriter"
	"time"
)

// adminCheckpointCmd is `wormstore admin checkpoint`.
type adminCheckpointCmd struct {
	List bool `help:"List the checkpoints and the WAL archive instead of taking a checkpoint."`
}

// adminWALArchiveCmd is `wormstore admin wal-archive`.
type adminWALArchiveCmd struct {
	List   adminWALArchiveListCmd   `cmd:"" help:"List the WAL files retired to wal/archive."`
	Delete adminWALArchiveDeleteCmd `cmd:"" help:"Delete archived WAL files covered by a checkpoint that verifies now (ship them off the box first)."`
}

type adminWALArchiveListCmd struct{}

type adminWALArchiveDeleteCmd struct {
	Confirm bool `help:"Confirm that the archived files were copied elsewhere (WORM tape, object storage); required."`
}

func (cmd *adminCheckpointCmd) Run(env *runEnv, a *adminCmd) error {
	if cmd.List {
		return adminListCheckpoints(env, a, true)
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	var res adminapi.CheckpointResult
	if err := c.callJSON(env.ctx, http.MethodPost, "checkpoint", nil, &res); err != nil {
		return err
	}
	if a.JSON {
		return adminPrintJSON(env.stdout, res)
	}
	cp := res.Checkpoint
	switch {
	case cp.LSN == 0:
		fmt.Fprintln(env.stdout, "Nothing to checkpoint: the store is empty.")
		return nil
	case !res.New:
		fmt.Fprintf(env.stdout, "Nothing new since checkpoint %016x (LSN %d).\n", cp.LSN, cp.LSN)
		return nil
	}
	base := "a replay of the whole WAL"
	if cp.Base != 0 {
		base = fmt.Sprintf("checkpoint %016x plus the WAL after it", cp.Base)
	}
	fmt.Fprintf(env.stdout, "Checkpoint %016x: LSN %d, %d index entries, verified against %s (%s).\n",
		cp.LSN, cp.LSN, cp.Keys, base, (time.Duration(res.TookMS) * time.Millisecond).String())
	if len(res.Pruned) > 0 {
		fmt.Fprintf(env.stdout, "Removed %s.\n", adminPlural(len(res.Pruned), "older checkpoint"))
	}
	if len(res.Retired) > 0 {
		last := res.Retired[len(res.Retired)-1]
		fmt.Fprintf(env.stdout, "Retired %s (LSN %d-%d) to wal/archive; copy them off the box, then `wormstore admin wal-archive delete --confirm`.\n",
			adminPlural(len(res.Retired), "WAL file"), res.Retired[0].First, last.Last)
	}
	return nil
}

func (cmd *adminWALArchiveListCmd) Run(env *runEnv, a *adminCmd) error {
	return adminListCheckpoints(env, a, false)
}

// adminListCheckpoints prints GET checkpoints: the checkpoints (when
// withCheckpoints) and the archived WAL files.
func adminListCheckpoints(env *runEnv, a *adminCmd, withCheckpoints bool) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var out adminapi.Checkpoints
	if err := c.callJSON(env.ctx, http.MethodGet, "checkpoints", nil, &out); err != nil {
		return err
	}
	if a.JSON {
		return adminPrintJSON(env.stdout, out)
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	if withCheckpoints {
		if len(out.Checkpoints) == 0 {
			fmt.Fprintln(tw, "No checkpoints.")
		} else {
			fmt.Fprintln(tw, "CHECKPOINT\tLSN\tENTRIES\tCREATED\tSTATE")
			for _, cp := range out.Checkpoints {
				state := "ok"
				if cp.Error != "" {
					state = "damaged: " + cp.Error
				}
				fmt.Fprintf(tw, "%016x\t%d\t%d\t%s\t%s\n", cp.LSN, cp.LSN, cp.Keys, cp.Created.Format(time.RFC3339), state)
			}
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintf(tw, "The live WAL starts at LSN %d.\n", out.WALFirstLSN)
	if len(out.Archive) == 0 {
		fmt.Fprintln(tw, "No archived WAL files.")
		return tw.Flush()
	}
	fmt.Fprintln(tw, "ARCHIVED WAL FILE\tFIRST LSN\tLAST LSN")
	for _, f := range out.Archive {
		fmt.Fprintf(tw, "wal/archive/%s\t%d\t%d\n", f.Name, f.First, f.Last)
	}
	return tw.Flush()
}

func (cmd *adminWALArchiveDeleteCmd) Run(env *runEnv, a *adminCmd) error {
	if !cmd.Confirm {
		return errors.New("deleting archived WAL files is irreversible: copy wal/archive off the box first, then pass --confirm")
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	var out struct {
		Deleted []adminapi.WALFile `json:"deleted"`
	}
	if err := c.callJSON(env.ctx, http.MethodPost, "wal-archive/delete", nil, &out); err != nil {
		return err
	}
	if a.JSON {
		return adminPrintJSON(env.stdout, out)
	}
	if len(out.Deleted) == 0 {
		fmt.Fprintln(env.stdout, "No archived WAL file is covered by a verified checkpoint; nothing deleted.")
		return nil
	}
	fmt.Fprintf(env.stdout, "Deleted %s (LSN %d-%d) from wal/archive.\n", adminPlural(len(out.Deleted), "archived WAL file"),
		out.Deleted[0].First, out.Deleted[len(out.Deleted)-1].Last)
	return nil
}
