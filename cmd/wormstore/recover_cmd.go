package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/wal"
)

// recoverCmd inspects a data directory offline and, only on an explicit
// flag, repairs what Open refuses. The server must be stopped.
type recoverCmd struct {
	Data               string `help:"Data directory." default:"./data" type:"path"`
	TruncateCorruptWAL bool   `name:"truncate-corrupt-wal" help:"Cut a corrupt write-ahead (or audit) log at the damage. The damaged file and every later one are first preserved in DATA/wal/quarantine (DATA/audit/quarantine); records from the damage on are dropped and the index rebuilt."`
	AcceptIndexAhead   bool   `name:"accept-index-ahead" help:"Accept a write-ahead log that ends before the last LSN known durable (the index's applied LSN or the last clean shutdown's): rebuild the index from the log, dropping the records past its end."`
}

func (c *recoverCmd) Run(env *runEnv) error {
	opts := engine.Options{FS: vfs.Default, Dir: c.Data, Logger: slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	rep, err := engine.Inspect(env.ctx, opts)
	if err != nil {
		return fmt.Errorf("inspect %s: %w", c.Data, err)
	}
	problems := printRecoveryReport(env.stdout, c.Data, rep)
	if !c.TruncateCorruptWAL && !c.AcceptIndexAhead {
		if problems {
			return errors.New("the data directory needs an operator's decision (see above); the server refuses to start until then")
		}
		return nil
	}
	if !problems {
		fmt.Fprintln(env.stdout, "nothing to recover")
		return nil
	}
	res, err := engine.Recover(env.ctx, opts, engine.RecoverOptions{TruncateCorruptWAL: c.TruncateCorruptWAL, AcceptIndexAhead: c.AcceptIndexAhead})
	if err != nil {
		return fmt.Errorf("recover %s: %w", c.Data, err)
	}
	for _, r := range []struct {
		what string
		rr   *wal.RepairResult
	}{{"write-ahead log", res.WALRepair}, {"audit log", res.AuditRepair}} {
		if r.rr == nil {
			continue
		}
		fmt.Fprintf(env.stdout, "%s: cut at LSN %d; dropped %s; kept LSN 1-%d\n", r.what, r.rr.DroppedFrom,
			lsnRange(uint64(r.rr.DroppedFrom), uint64(r.rr.DroppedTo)), r.rr.LastLSN)
		for _, q := range r.rr.Quarantined {
			fmt.Fprintf(env.stdout, "  original preserved as %s\n", q)
		}
	}
	if res.DroppedFrom > 0 {
		fmt.Fprintf(env.stdout, "index: dropped %s, which the log no longer holds\n", lsnRange(res.DroppedFrom, res.DroppedTo))
	}
	if res.IndexRebuilt {
		fmt.Fprintf(env.stdout, "index: rebuilt from the write-ahead log (LSN 1-%d)\n", res.WALLast)
	}
	fmt.Fprintln(env.stdout, "recovered; the server can start")
	return nil
}

// printRecoveryReport writes rep for an operator and reports whether it
// shows anything that makes the engine refuse to open.
func printRecoveryReport(w io.Writer, dir string, rep *engine.RecoveryReport) (problems bool) {
	fmt.Fprintf(w, "data directory %s\n", dir)
	for _, l := range []struct {
		what string
		r    *wal.Report
	}{{"write-ahead log", rep.WAL}, {"audit log", rep.Audit}} {
		fmt.Fprintf(w, "%s: %d files, valid through LSN %d\n", l.what, len(l.r.Files), l.r.LastLSN)
		if t := l.r.Torn; t != nil {
			fmt.Fprintf(w, "  torn final write in %s at offset %d (%d bytes: %s); never acknowledged, cut at the next start\n",
				t.File, t.Offset, t.Bytes, t.Reason)
		}
		if ce := l.r.Corrupt; ce != nil {
			problems = true
			fmt.Fprintf(w, "  CORRUPT: %v\n", ce)
			fmt.Fprintf(w, "  --truncate-corrupt-wal preserves the damaged files and drops %s\n",
				lsnRange(uint64(ce.LSN), max(uint64(ce.LaterLSN), uint64(ce.LSN)-1)))
		}
	}
	if rep.IndexErr != nil {
		fmt.Fprintf(w, "index: not readable (%v); it is rebuilt from the log\n", rep.IndexErr)
	} else {
		fmt.Fprintf(w, "index: applied through LSN %d\n", rep.IndexApplied)
	}
	if rep.CleanErr != nil {
		problems = true
		fmt.Fprintf(w, "WAL_END: %v\n", rep.CleanErr)
	} else {
		fmt.Fprintf(w, "WAL_END: LSN %d known durable\n", rep.CleanLSN)
	}
	if b := rep.Behind(dir); b != nil {
		problems = true
		fmt.Fprintf(w, "  BEHIND: %v\n", b)
	}
	if !problems {
		fmt.Fprintln(w, "no damage that needs an operator; the server recovers the rest on start")
	}
	return problems
}

// lsnRange formats the LSNs from..to ("no records" when empty).
func lsnRange(from, to uint64) string {
	switch {
	case to < from:
		return fmt.Sprintf("the damaged record at LSN %d (no valid record follows it)", from)
	case to == from:
		return fmt.Sprintf("LSN %d", from)
	}
	return fmt.Sprintf("LSN %d-%d (%d records)", from, to, to-from+1)
}
