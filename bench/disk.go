package bench

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Defaults used by Measure.
const (
	// DefaultTrials is the number of times Measure runs each probe; it
	// reports the median, because virtual and shared disks vary by a
	// factor of several from one second to the next.
	DefaultTrials = 5
	// DefaultSeqWriteSize is the amount each sequential-write trial of
	// Measure writes: 256 MiB.
	DefaultSeqWriteSize = 256 << 20
	// DefaultFsyncs is the number of 4 KiB append+fdatasync rounds each
	// fsync trial of Measure times.
	DefaultFsyncs = 200

	// seqChunk is the size of each write of SeqWriteBandwidth.
	seqChunk = 1 << 20
	// fsyncChunk is the size of each append of SerialFsyncRate.
	fsyncChunk = 4 << 10
)

// Limits are the raw figures of the disk under one directory.
type Limits struct {
	// SeqWrite is the median sequential write bandwidth in bytes per
	// second (SeqWriteBandwidth); SeqWriteMin and SeqWriteMax bound the
	// trials.
	SeqWrite, SeqWriteMin, SeqWriteMax float64
	// FsyncRate is the median serial 4 KiB append+fdatasync rate in
	// operations per second (SerialFsyncRate); FsyncMin and FsyncMax bound
	// the trials.
	FsyncRate, FsyncMin, FsyncMax float64
}

// String formats l for a log line.
func (l Limits) String() string {
	return fmt.Sprintf("seq write %.0f MB/s (trials %.0f..%.0f), serial fsync %.0f/s = %.3f ms each (trials %.0f..%.0f/s)",
		l.SeqWrite/1e6, l.SeqWriteMin/1e6, l.SeqWriteMax/1e6,
		l.FsyncRate, 1e3/l.FsyncRate, l.FsyncMin, l.FsyncMax)
}

// Measure runs each probe DefaultTrials times in dir, alternating them,
// and returns the medians. It takes several seconds and writes
// DefaultTrials*DefaultSeqWriteSize bytes, each probe file removed as soon
// as it is timed.
func Measure(dir string) (Limits, error) {
	var seq, fsync []float64
	for range DefaultTrials {
		r, err := SerialFsyncRate(dir, DefaultFsyncs)
		if err != nil {
			return Limits{}, err
		}
		fsync = append(fsync, r)
		bw, err := SeqWriteBandwidth(dir, DefaultSeqWriteSize)
		if err != nil {
			return Limits{}, err
		}
		seq = append(seq, bw)
	}
	slices.Sort(seq)
	slices.Sort(fsync)
	return Limits{
		SeqWrite: seq[len(seq)/2], SeqWriteMin: seq[0], SeqWriteMax: seq[len(seq)-1],
		FsyncRate: fsync[len(fsync)/2], FsyncMin: fsync[0], FsyncMax: fsync[len(fsync)-1],
	}, nil
}

// SeqWriteBandwidth creates a file in dir, writes size bytes of random data
// to it in 1 MiB writes, fdatasyncs it once at the end, and returns the
// bandwidth in bytes per second, timed from the first write to the end of
// the fdatasync. The file is removed before SeqWriteBandwidth returns. size
// is rounded up to a whole MiB.
func SeqWriteBandwidth(dir string, size int64) (bytesPerSec float64, err error) {
	if size <= 0 {
		return 0, fmt.Errorf("bench: seq write size %d must be positive", size)
	}
	chunks := (size + seqChunk - 1) / seqChunk
	buf := randomBytes(seqChunk)
	d, err := withFile(dir, "seqwrite.probe", func(f vfs.File) error {
		for range chunks {
			if _, err := f.Write(buf); err != nil {
				return err
			}
		}
		return f.SyncData()
	})
	if err != nil {
		return 0, err
	}
	return float64(chunks*seqChunk) / d.Seconds(), nil
}

// SerialFsyncRate creates a file in dir and n times appends 4 KiB of random
// data and fdatasyncs it, one after the other, as a write-ahead log without
// group commit would. It returns the rate in fdatasyncs per second. The
// file is removed before SerialFsyncRate returns.
func SerialFsyncRate(dir string, n int) (opsPerSec float64, err error) {
	if n <= 0 {
		return 0, fmt.Errorf("bench: fsync count %d must be positive", n)
	}
	buf := randomBytes(fsyncChunk)
	d, err := withFile(dir, "fsync.probe", func(f vfs.File) error {
		for range n {
			if _, err := f.Write(buf); err != nil {
				return err
			}
			if err := f.SyncData(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return float64(n) / d.Seconds(), nil
}

// withFile creates dir/name (made durable, so that the probe's first
// fdatasync does not pay for the directory entry), times fn on it, and
// removes the file.
func withFile(dir, name string, fn func(f vfs.File) error) (_ time.Duration, err error) {
	fs := vfs.Default
	path := fs.PathJoin(dir, name)
	f, err := fs.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	defer func() {
		err = errors.Join(err, f.Close(), fs.Remove(path))
	}()
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("bench: sync %s: %w", path, err)
	}
	if d, err := fs.OpenDir(dir); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return 0, fmt.Errorf("bench: sync dir %s: %w", dir, err)
		}
	}
	start := time.Now()
	if err := fn(f); err != nil {
		return 0, fmt.Errorf("bench: %s: %w", path, err)
	}
	return time.Since(start), nil
}

// randomBytes returns n incompressible bytes.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rng := rand.NewChaCha8([32]byte{'w', 'o', 'r', 'm'})
	_, _ = rng.Read(b)
	return b
}
