package main

// Checkpoint routes of the admin API:
//
//	POST /admin/v1/checkpoint          apiCheckpointResult: take a verified index checkpoint now
//	                                   and retire covered WAL files to wal/archive
//	GET  /admin/v1/checkpoints         apiCheckpoints: checkpoints, archived WAL files
//	POST /admin/v1/wal-archive/delete  {"deleted": [apiWALFile…]}: delete archived WAL files
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

// apiCheckpoint is one checkpoint.
type apiCheckpoint struct {
	LSN     uint64    `json:"lsn"`
	Keys    int64     `json:"keys"`
	Digest  string    `json:"digest"`
	Created time.Time `json:"created"`
	Base    uint64    `json:"base"`
	Files   int       `json:"files"`
	Error   string    `json:"error,omitempty"`
}

// apiWALFile is one archived WAL file.
type apiWALFile struct {
	Name  string `json:"name"`
	First uint64 `json:"first_lsn"`
	Last  uint64 `json:"last_lsn"`
}

// apiCheckpointResult is the answer of POST checkpoint.
type apiCheckpointResult struct {
	Checkpoint apiCheckpoint `json:"checkpoint"`
	New        bool          `json:"new"`
	Pruned     []uint64      `json:"pruned"`
	Retired    []apiWALFile  `json:"retired"`
	TookMS     int64         `json:"took_ms"`
}

// apiCheckpoints is the answer of GET checkpoints.
type apiCheckpoints struct {
	Checkpoints []apiCheckpoint `json:"checkpoints"`
	WALFirstLSN uint64          `json:"wal_first_lsn"`
	Archive     []apiWALFile    `json:"archive"`
}

func (a *adminAPI) checkpointRoutes() map[string]map[string]adminRoute {
	return map[string]map[string]adminRoute{
		"checkpoint":         {http.MethodPost: a.checkpoint},
		"checkpoints":        {http.MethodGet: a.checkpoints},
		"wal-archive/delete": {http.MethodPost: a.deleteWALArchive},
	}
}

func apiCheckpointOf(c engine.CheckpointInfo) apiCheckpoint {
	return apiCheckpoint{LSN: c.LSN, Keys: c.Keys, Digest: fmt.Sprintf("%016x", c.Digest), Created: c.Created, Base: c.Base, Files: c.Files}
}

func apiWALFiles(fs []wal.RetiredFile) []apiWALFile {
	out := make([]apiWALFile, 0, len(fs))
	for _, f := range fs {
		out = append(out, apiWALFile{Name: f.Name, First: uint64(f.First), Last: uint64(f.Last)})
	}
	return out
}

// checkpointError gives the checkpoint failures an operator must act on
// their own codes.
func checkpointError(err error) error {
	switch {
	case errors.Is(err, engine.ErrCheckpointMismatch):
		return &adminError{http.StatusConflict, "CheckpointMismatch", err.Error() + "; run `wormstore admin verify`"}
	case errors.Is(err, engine.ErrWALRetired):
		return &adminError{http.StatusConflict, "WALRetired", err.Error()}
	case errors.Is(err, engine.ErrCheckpointCorrupt):
		return &adminError{http.StatusConflict, "CheckpointCorrupt", err.Error()}
	}
	return err
}

func (a *adminAPI) checkpoint(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
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
	writeAdminJSON(w, http.StatusOK, apiCheckpointResult{
		Checkpoint: apiCheckpointOf(res.Checkpoint), New: res.New, Pruned: append([]uint64{}, res.Pruned...),
		Retired: apiWALFiles(res.Retired), TookMS: res.Took.Milliseconds(),
	})
	return nil
}

func (a *adminAPI) checkpoints(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	out := apiCheckpoints{Checkpoints: []apiCheckpoint{}}
	err := a.withEngine(func(eng *engine.Engine) error {
		cps, err := eng.Checkpoints()
		if err != nil {
			return err
		}
		for _, c := range cps {
			ac := apiCheckpointOf(c.CheckpointInfo)
			if c.Err != nil {
				ac.Error = c.Err.Error()
			}
			out.Checkpoints = append(out.Checkpoints, ac)
		}
		arch, err := eng.ArchivedWAL()
		if err != nil {
			return err
		}
		out.Archive = apiWALFiles(arch)
		out.WALFirstLSN = eng.WALFirstLSN()
		return nil
	})
	if err != nil {
		return err
	}
	writeAdminJSON(w, http.StatusOK, out)
	return nil
}

func (a *adminAPI) deleteWALArchive(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
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
		Deleted []apiWALFile `json:"deleted"`
	}{apiWALFiles(gone)})
	return nil
}
