package adminapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api"
)

// SOSAPI is a bucket's Veeam SOSAPI state (GET, PUT and DELETE
// /admin/v1/buckets/{name}/sosapi).
type SOSAPI struct {
	Bucket  string `json:"bucket"`
	Enabled bool   `json:"enabled"`
	// CapacityBytes is the capacity reported (0: the data directory's
	// filesystem).
	CapacityBytes int64 `json:"capacity_bytes,omitempty"`
	// KbBlockSize is the block size recommended to Veeam (0: none).
	KbBlockSize int       `json:"kb_block_size,omitempty"`
	Since       time.Time `json:"since,omitzero"`
	// Folder is where the files appear in the bucket.
	Folder string `json:"folder,omitempty"`
}

func sosapiToAPI(bucket string, c s3api.SOSAPIConfig, on bool) SOSAPI {
	out := SOSAPI{Bucket: bucket, Enabled: on}
	if on {
		out.CapacityBytes, out.KbBlockSize, out.Since, out.Folder = c.CapacityBytes, c.KbBlockSize, c.Enabled, s3api.SOSAPIFolder
	}
	return out
}

// getSOSAPI is GET buckets/{name}/sosapi.
func (a *API) getSOSAPI(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	var out SOSAPI
	err := a.withEngine(func(eng *engine.Engine) error {
		bi, err := eng.Bucket(ctx, name)
		if err != nil {
			return err
		}
		c, on, err := s3api.DecodeSOSAPIConfig(bi.Config(engine.ConfigSOSAPI))
		if err != nil {
			return err
		}
		out = sosapiToAPI(name, c, on)
		return nil
	})
	if err != nil {
		return err
	}
	writeAdminJSON(w, http.StatusOK, out)
	return nil
}

// enableSOSAPI is PUT buckets/{name}/sosapi?capacity=BYTES&kb_block_size=KB:
// the bucket serves the SOSAPI files from now on.
func (a *API) enableSOSAPI(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	q := r.URL.Query()
	var c s3api.SOSAPIConfig
	for _, p := range []struct {
		name string
		dst  func(int64)
	}{
		{"capacity", func(v int64) { c.CapacityBytes = v }},
		{"kb_block_size", func(v int64) { c.KbBlockSize = int(v) }},
	} {
		if s := q.Get(p.name); s != "" {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil || v < 0 {
				return &StatusError{http.StatusBadRequest, "InvalidArgument", p.name + " must be a non-negative integer"}
			}
			p.dst(v)
		}
	}
	var out SOSAPI
	err := a.withEngine(func(eng *engine.Engine) error {
		c.Enabled = eng.Now().UTC().Truncate(time.Second)
		doc, err := s3api.EncodeSOSAPIConfig(c)
		if err != nil {
			return &StatusError{http.StatusBadRequest, "InvalidArgument", err.Error()}
		}
		if err := eng.SetBucketConfig(ctx, name, engine.ConfigSOSAPI, doc); err != nil {
			return err
		}
		out = sosapiToAPI(name, c, true)
		return nil
	})
	if err != nil {
		return err
	}
	writeAdminJSON(w, http.StatusOK, out)
	return nil
}

// disableSOSAPI is DELETE buckets/{name}/sosapi.
func (a *API) disableSOSAPI(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	err := a.withEngine(func(eng *engine.Engine) error {
		return eng.SetBucketConfig(ctx, name, engine.ConfigSOSAPI, nil)
	})
	if err != nil {
		return err
	}
	writeAdminJSON(w, http.StatusOK, SOSAPI{Bucket: name})
	return nil
}
