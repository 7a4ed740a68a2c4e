package engine

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Options configures an Engine. The zero value of every field but FS and Dir
// means "use the default" documented on it. Open copies Options; the caller's
// value is never modified.
type Options struct {
	// FS is the filesystem every file goes through (index, WAL, segments,
	// clock file). Tests pass vfs.NewCrashableMem or an errorfs wrapper.
	FS vfs.FS
	// Dir is the data directory.
	Dir string
	// Clock returns the current wall time. Retention is judged against
	// max(Clock(), persisted high-water mark). Default: time.Now.
	Clock func() time.Time
	// Logger receives engine and Pebble logs. Default: discard.
	Logger *slog.Logger

	// SegmentSize is the size at which the active segment is sealed.
	// Default 256 MiB.
	SegmentSize int64
	// BlockSize is the raw size of a segment block. Default 1 MiB.
	BlockSize int
	// WALSegmentSize is the size at which a WAL file is rotated. Default 64 MiB.
	WALSegmentSize int64

	// IndexCacheSize is the Pebble block cache size. Default 64 MiB.
	IndexCacheSize int64

	// MinPartSize is the minimum size of every multipart part but the last.
	// Default 5 MiB (as S3).
	MinPartSize int64
	// MaxObjectSize bounds a single PutObject / part. Default 5 GiB (as S3).
	MaxObjectSize int64

	// CompactionInterval is how often background compaction looks for
	// segments to rewrite; 0 means the default (10 minutes), a negative
	// value disables background compaction (Compact still works).
	CompactionInterval time.Duration
	// CompactionRate caps background compaction's copy rate in bytes/s.
	// Default 64 MiB/s.
	CompactionRate int64
	// CompactionMinGarbage is the fraction of garbage (0..1) at which a
	// sealed segment is rewritten by background compaction. Default 0.5.
	CompactionMinGarbage float64

	// ClockPersistInterval is how often the time high-water mark is written
	// to disk while the engine is idle. Default 1 minute.
	ClockPersistInterval time.Duration

	// CheckpointInterval is how often a background checkpoint of the
	// index is taken (see Engine.Checkpoint), which also retires old WAL
	// files to wal/archive; 0 or negative disables it (Checkpoint still
	// works on demand).
	CheckpointInterval time.Duration
	// CheckpointKeep is how many checkpoints are kept. Default 2.
	CheckpointKeep int

	// AuditFlushInterval is how long the background audit flusher lets
	// entries gather before it writes and fsyncs them to the audit log.
	// An entry is durable before the response anyway (its WAL record
	// carries it); the audit log file lags by at most about this long,
	// plus the time of a flush, and recovery re-appends what it lacks.
	// Default 100 ms; negative means flush as soon as entries are durable.
	AuditFlushInterval time.Duration

	// OnWALSync, if set, observes every WAL fsync (metrics).
	OnWALSync func(d time.Duration, records int)

	// Tier, if set, is the remote tier sealed segments move to (tier.go).
	// It can also be attached later with SetTier.
	Tier *TierOptions
}

// EnsureDefaults fills unset fields with their defaults.
func (o *Options) EnsureDefaults() {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.SegmentSize == 0 {
		o.SegmentSize = 256 << 20
	}
	if o.BlockSize == 0 {
		o.BlockSize = 1 << 20
	}
	if o.WALSegmentSize == 0 {
		o.WALSegmentSize = 64 << 20
	}
	if o.IndexCacheSize == 0 {
		o.IndexCacheSize = 64 << 20
	}
	if o.MinPartSize == 0 {
		o.MinPartSize = 5 << 20
	}
	if o.MaxObjectSize == 0 {
		o.MaxObjectSize = 5 << 30
	}
	if o.CompactionInterval == 0 {
		o.CompactionInterval = 10 * time.Minute
	}
	if o.CompactionRate == 0 {
		o.CompactionRate = 64 << 20
	}
	if o.CompactionMinGarbage == 0 {
		o.CompactionMinGarbage = 0.5
	}
	if o.CheckpointKeep == 0 {
		o.CheckpointKeep = DefaultCheckpointKeep
	}
	if o.AuditFlushInterval == 0 {
		o.AuditFlushInterval = DefaultAuditFlushInterval
	}
	if o.ClockPersistInterval == 0 {
		o.ClockPersistInterval = time.Minute
	}
}

// Validate reports the first problem with the options.
func (o *Options) Validate() error {
	switch {
	case o.FS == nil:
		return fmt.Errorf("engine: Options.FS is nil")
	case o.Dir == "":
		return fmt.Errorf("engine: Options.Dir is empty")
	case o.BlockSize < 4<<10 || o.BlockSize > 16<<20:
		return fmt.Errorf("engine: BlockSize %d outside [4 KiB, 16 MiB]", o.BlockSize)
	case o.SegmentSize < int64(o.BlockSize)*2:
		return fmt.Errorf("engine: SegmentSize %d smaller than two blocks", o.SegmentSize)
	case o.MinPartSize < 0 || o.MaxObjectSize <= 0:
		return fmt.Errorf("engine: bad part/object size limits")
	case o.CheckpointKeep < 1:
		return fmt.Errorf("engine: CheckpointKeep %d is less than 1", o.CheckpointKeep)
	case o.CompactionMinGarbage < 0 || o.CompactionMinGarbage > 1:
		return fmt.Errorf("engine: CompactionMinGarbage %v outside [0,1]", o.CompactionMinGarbage)
	}
	return nil
}

// MaxObjectSize returns the largest object or part the engine accepts, so
// callers can refuse a declared length before reading the body.
func (e *Engine) MaxObjectSize() int64 { return e.opts.MaxObjectSize }
