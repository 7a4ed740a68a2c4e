package wal

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"
)

// faultAfter returns an injector failing the (n+1)th operation of kind on a
// path matching match with errno, and, if persistent, every later one.
func faultAfter(kind errorfs.OpKind, match func(string) bool, n int64, errno syscall.Errno, persistent bool) *faultInjector {
	return &faultInjector{kind: kind, match: match, n: n, errno: errno, persistent: persistent}
}

type faultInjector struct {
	kind       errorfs.OpKind
	match      func(string) bool
	n          int64
	errno      syscall.Errno
	persistent bool
	seen       atomic.Int64
	injected   atomic.Int64
	off        atomic.Bool
}

func (f *faultInjector) String() string { return fmt.Sprintf("fault(%v after %d)", f.kind, f.n) }

func (f *faultInjector) MaybeError(op errorfs.Op) error {
	if f.off.Load() || op.Kind != f.kind || !f.match(op.Path) {
		return nil
	}
	i := f.seen.Add(1) - 1
	if i == f.n || (f.persistent && i > f.n) {
		f.injected.Add(1)
		return f.errno
	}
	return nil
}

func isWALFile(p string) bool { return strings.HasSuffix(p, fileSuffix) }
func isDir(p string) bool     { return p == testDir }

// TestWriteFaults injects EIO and ENOSPC into writes, fsyncs, directory
// fsyncs and file creation while 8 goroutines commit. Each fault must come
// back as an error wrapping the errno and ErrFailed, the log must refuse
// further work, and every acknowledged record must survive a reopen.
func TestWriteFaults(t *testing.T) {
	type fault struct {
		name  string
		kind  errorfs.OpKind
		match func(string) bool
	}
	faults := []fault{
		{"write", errorfs.OpFileWrite, isWALFile},
		{"fdatasync", errorfs.OpFileSyncData, isWALFile},
		{"fsync new file", errorfs.OpFileSync, isWALFile},
		{"dir fsync", errorfs.OpFileSync, isDir},
		{"create", errorfs.OpCreate, isWALFile},
	}
	for _, f := range faults {
		for _, errno := range []syscall.Errno{syscall.EIO, syscall.ENOSPC} {
			for _, after := range []int64{0, 1, 7} {
				for _, persistent := range []bool{false, true} {
					name := fmt.Sprintf("%s/%v/after=%d/persistent=%t", f.name, errno, after, persistent)
					t.Run(name, func(t *testing.T) {
						testWriteFault(t, faultAfter(f.kind, f.match, after, errno, persistent))
					})
				}
			}
		}
	}
}

func testWriteFault(t *testing.T, inj *faultInjector) {
	mem := vfs.NewCrashableMem()
	fs := errorfs.Wrap(mem, inj)
	inj.off.Store(true)
	l, err := Open(Options{FS: fs, Dir: testDir, SegmentSize: 2 << 10})
	require.NoError(t, err)
	inj.off.Store(false)

	var (
		mu    sync.Mutex
		acked = map[LSN][]byte{}
		errs  []error
	)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 40 {
				p := fmt.Appendf(nil, "w%d-%d-%s", w, i, bytes.Repeat([]byte{'p'}, (w*i)%200))
				lsn, err := l.Commit(p)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					acked[lsn] = p
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	require.Positive(t, inj.injected.Load(), "fault never triggered")
	require.NotEmpty(t, errs)
	for _, err := range errs {
		if errors.Is(err, ErrClosed) {
			continue
		}
		require.ErrorIs(t, err, inj.errno)
		require.ErrorIs(t, err, ErrFailed)
	}
	durable := l.DurableLSN()
	for lsn := range acked {
		require.LessOrEqual(t, lsn, durable)
	}

	// Sticky: nothing more is accepted, even once the disk behaves again.
	inj.off.Store(true)
	_, err = l.Append([]byte("after failure"))
	require.ErrorIs(t, err, inj.errno)
	require.ErrorIs(t, err, ErrFailed)
	_, err = l.Commit([]byte("after failure"))
	require.ErrorIs(t, err, ErrFailed)
	if last := l.LastLSN(); last > durable {
		require.ErrorIs(t, l.Sync(last), ErrFailed)
	}
	require.NoError(t, l.Sync(durable), "durable records stay durable")
	require.Equal(t, durable, l.DurableLSN())
	require.ErrorIs(t, l.Close(), inj.errno)

	// Power loss now: acknowledged records are intact, and the log works.
	checkAcked := func(fs vfs.FS) {
		l2, err := Open(Options{FS: fs, Dir: testDir, SegmentSize: 2 << 10})
		require.NoError(t, err)
		recs := replayAll(t, l2, 0)
		require.GreaterOrEqual(t, len(recs), len(acked))
		for _, r := range recs {
			if p, ok := acked[r.lsn]; ok {
				require.Equal(t, p, r.payload, "LSN %d", r.lsn)
			}
		}
		for lsn := range acked {
			require.LessOrEqual(t, lsn, LSN(len(recs)))
		}
		lsn, err := l2.Commit([]byte("after reopen"))
		require.NoError(t, err)
		require.Equal(t, LSN(len(recs)+1), lsn)
		require.NoError(t, l2.Close())
	}
	checkAcked(mem.CrashClone(vfs.CrashCloneCfg{}))
	// Or just a process restart.
	checkAcked(mem)
}

// TestOpenFaults injects faults into each step of recovery of a log with a
// torn tail. Open must fail with the injected error, not panic, and a later
// Open without faults must recover the same records.
func TestOpenFaults(t *testing.T) {
	base, recs, names := twoFileLog(t)
	full := readFile(t, base, base.PathJoin(testDir, names[1]))
	torn := append(bytes.Clone(full[:len(full)-3]), 0, 0, 0, 0, 0, 0, 0, 0, 0)
	any := func(string) bool { return true }
	isTmp := func(p string) bool { return strings.HasSuffix(p, tmpSuffix) }
	tests := []struct {
		name  string
		kind  errorfs.OpKind
		match func(string) bool
	}{
		{"list", errorfs.OpList, any},
		{"lock", errorfs.OpLock, any},
		{"open file", errorfs.OpOpen, isWALFile},
		{"read at", errorfs.OpFileReadAt, isWALFile},
		{"stat", errorfs.OpFileStat, isWALFile},
		{"create tmp", errorfs.OpCreate, isTmp},
		{"write tmp", errorfs.OpFileWrite, isTmp},
		{"sync tmp", errorfs.OpFileSync, isTmp},
		{"rename", errorfs.OpRename, any},
		{"open dir", errorfs.OpOpenDir, any},
		{"sync dir", errorfs.OpFileSync, isDir},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := cloneMem(t, base, names[1], torn)
			inj := faultAfter(tc.kind, tc.match, 0, syscall.EIO, true)
			_, err := Open(Options{FS: errorfs.Wrap(mem, inj), Dir: testDir})
			require.Positive(t, inj.injected.Load(), "fault never triggered")
			require.ErrorIs(t, err, syscall.EIO)
			checkRecovered(t, mem, recs[:len(recs)-1])
		})
	}
}
