package adminapi

// Checkpoint routes of the admin API:
//
//	POST /admin/v1/checkpoint          CheckpointResult: take a verified index checkpoint now
//	                                   and retire covered WAL files to wal/archive
//	GET  /admin/v1/checkpoints         Checkpoints: checkpoints, archived WAL files
//	POST /admin/v1/wal-archive/delete  {"deleted": [WALFile…]}: delete archived WAL files
//	                                   covered by a checkpoint that verifies now

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/wal"
)

// Checkpoint is one checkpoint.
type Checkpoint struct {
	LSN     uint64    `json:"lsn"`
	Keys    int64     `json:"keys"`
	Digest  string    `json:"digest"`
	Created time.Time `json:"created"`
	Base    uint64    `json:"base"`
	Files   int       `json:"files"`
	Error   string    `json:"error,omitempty"`
}

// WALFile is one archived WAL file.
type WALFile struct {
	Name  string `json:"name"`
	First uint64 `json:"first_lsn"`
	Last  uint64 `json:"last_lsn"`
}

// CheckpointResult is the answer of POST checkpoint.
type CheckpointResult struct {
	Checkpoint Checkpoint `json:"checkpoint"`
	New        bool       `json:"new"`
	Pruned     []uint64   `json:"pruned"`
	Retired    []WALFile  `json:"retired"`
	TookMS     int64      `json:"took_ms"`
}

// Checkpoints is the answer of GET checkpoints.
type Checkpoints struct {
	Checkpoints []Checkpoint `json:"checkpoints"`
	WALFirstLSN uint64       `json:"wal_first_lsn"`
	Archive     []WALFile    `json:"archive"`
}

func checkpointOf(c engine.CheckpointInfo) Checkpoint {
	return Checkpoint{LSN: c.LSN, Keys: c.Keys, Digest: fmt.Sprintf("%016x", c.Digest), Created: c.Created, Base: c.Base, Files: c.Files}
}

func walFiles(fs []wal.RetiredFile) []WALFile {
	out := make([]WALFile, 0, len(fs))
	for _, f := range fs {
		out = append(out, WALFile{Name: f.Name, First: uint64(f.First), Last: uint64(f.Last)})
	}
	return out
}

// checkpointError adds the operator's next step to a checkpoint
// mismatch; the codes are in adminErrorTable.
func checkpointError(err error) error {
	if errors.Is(err, engine.ErrCheckpointMismatch) {
		return fmt.Errorf("%w; run `wormstore admin verify`", err)
	}
	return err
}

func (a *API) checkpoint(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	a.log.Info("admin: checkpoint started")
	var res *engine.CheckpointResult
	err := a.withEngine(func(eng *engine.Engine) (err error) {
		res, err = eng.Checkpoint(ctx)
		return err
	})
	if err != nil {
		return checkpointError(fmt.Errorf("checkpoint: %w", err))
	}
	a.log.Info("admin: checkpoint done", "lsn", res.Checkpoint.LSN, "new", res.New, "retired", len(res.Retired))
	writeAdminJSON(w, http.StatusOK, CheckpointResult{
		Checkpoint: checkpointOf(res.Checkpoint), New: res.New, Pruned: append([]uint64{}, res.Pruned...),
		Retired: walFiles(res.Retired), TookMS: res.Took.Milliseconds(),
	})
	return nil
}

func (a *API) checkpoints(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	out := Checkpoints{Checkpoints: []Checkpoint{}}
	err := a.withEngine(func(eng *engine.Engine) error {
		cps, err := eng.Checkpoints()
		if err != nil {
			return err
		}
		for _, c := range cps {
			ac := checkpointOf(c.CheckpointInfo)
			if c.Err != nil {
				ac.Error = c.Err.Error()
			}
			out.Checkpoints = append(out.Checkpoints, ac)
		}
		arch, err := eng.ArchivedWAL()
		if err != nil {
			return err
		}
		out.Archive = walFiles(arch)
		out.WALFirstLSN = eng.WALFirstLSN()
		return nil
	})
	if err != nil {
		return err
	}
	writeAdminJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) deleteWALArchive(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var gone []wal.RetiredFile
	err := a.withEngine(func(eng *engine.Engine) (err error) {
		gone, err = eng.RemoveArchivedWAL(ctx)
		return err
	})
	if err != nil {
		return checkpointError(fmt.Errorf("delete archived wal: %w", err))
	}
	a.log.Warn("admin: archived wal files deleted", "files", len(gone))
	writeAdminJSON(w, http.StatusOK, struct {
		Deleted []WALFile `json:"deleted"`
	}{walFiles(gone)})
	return nil
}
