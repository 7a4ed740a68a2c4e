package engine

import (
	"context"
	"fmt"
)

// DiskUsage reports the size and free space of the filesystem holding the
// data directory, through Options.FS (statfs on a real disk). A filesystem
// that cannot tell (an in-memory one) returns an error.
func (e *Engine) DiskUsage() (total, avail uint64, err error) {
	du, err := e.opts.FS.GetDiskUsage(e.opts.Dir)
	if err != nil {
		return 0, 0, fmt.Errorf("engine: disk usage of %s: %w", e.opts.Dir, err)
	}
	return du.TotalBytes, du.AvailBytes, nil
}

// BucketUsage returns the bytes stored in a bucket: the sizes of all its
// versions, noncurrent ones included (delete markers count nothing). It
// walks the index, so its cost grows with the number of versions.
func (e *Engine) BucketUsage(ctx context.Context, bucket string) (int64, error) {
	var used int64
	opts := VersionListOptions{MaxKeys: MaxListKeys}
	for {
		res, err := e.ListVersions(ctx, bucket, opts)
		if err != nil {
			return 0, err
		}
		for i := range res.Versions {
			if !res.Versions[i].DeleteMarker {
				used += res.Versions[i].Size
			}
		}
		if !res.IsTruncated {
			return used, nil
		}
		opts.KeyMarker, opts.VersionIDMarker = res.NextKeyMarker, res.NextVersionIDMarker
	}
}
