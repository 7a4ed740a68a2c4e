package wal

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	fs := vfs.NewMem()
	l := openLog(t, fs, Options{})
	require.Equal(t, LSN(0), l.LastLSN())
	require.Equal(t, LSN(0), l.DurableLSN())
	require.Empty(t, replayAll(t, l, 0))

	const n = 200
	var want []record
	for i := range n {
		p := testPayload(i)
		lsn, err := l.Append(p)
		require.NoError(t, err)
		require.Equal(t, LSN(i+1), lsn)
		want = append(want, record{lsn, bytes.Clone(p)})
		for j := range p {
			p[j] ^= 0xff // Append must have copied the payload
		}
		if i%10 == 9 {
			require.NoError(t, l.Sync(lsn))
			require.Equal(t, lsn, l.DurableLSN())
		}
	}
	require.Equal(t, LSN(n), l.LastLSN())
	require.Equal(t, want, replayAll(t, l, 0))
	require.NoError(t, l.Close())

	l = openLog(t, fs, Options{})
	require.Equal(t, LSN(n), l.LastLSN())
	require.Equal(t, LSN(n), l.DurableLSN())
	require.Equal(t, want, replayAll(t, l, 0))
	require.Equal(t, want[100:], replayAll(t, l, 101))

	lsn, err := l.Commit([]byte("after reopen"))
	require.NoError(t, err)
	require.Equal(t, LSN(n+1), lsn)
	want = append(want, record{lsn, []byte("after reopen")})
	require.NoError(t, l.Close())

	l = openLog(t, fs, Options{})
	require.Equal(t, want, replayAll(t, l, 0))
}

func TestMaxPayload(t *testing.T) {
	fs := vfs.NewMem()
	l := openLog(t, fs, Options{})
	big := bytes.Repeat([]byte{0xab}, MaxPayloadSize)
	_, err := l.Append(append(big, 0))
	require.ErrorIs(t, err, ErrTooLarge)
	lsn, err := l.Commit(big)
	require.NoError(t, err)
	require.Equal(t, LSN(1), lsn)
	require.NoError(t, l.Close())

	l = openLog(t, fs, Options{})
	got := replayAll(t, l, 0)
	require.Len(t, got, 1)
	require.True(t, bytes.Equal(big, got[0].payload))
}

func TestRotation(t *testing.T) {
	fs := vfs.NewMem()
	opts := Options{SegmentSize: 1000}
	l := openLog(t, fs, opts)
	const n = 120
	var want []record
	for i := range n {
		p := testPayload(i)
		// Mix single commits and small batches.
		if i%3 == 0 {
			lsn, err := l.Commit(p)
			require.NoError(t, err)
			want = append(want, record{lsn, p})
			continue
		}
		lsn, err := l.Append(p)
		require.NoError(t, err)
		want = append(want, record{lsn, p})
		if i%3 == 2 {
			require.NoError(t, l.Sync(lsn))
		}
	}
	files := walFiles(t, fs, testDir)
	require.Greater(t, len(files), 10, "files: %v", files)
	checkFrom := func(l *Log) {
		for from := 0; from <= n+1; from++ {
			got := replayAll(t, l, LSN(from))
			start := min(max(from-1, 0), n)
			require.Equal(t, want[start:], got, "from %d", from)
		}
	}
	checkFrom(l)
	require.NoError(t, l.Close())
	for _, name := range files {
		first, ok := parseFileName(name)
		require.True(t, ok)
		require.LessOrEqual(t, first, LSN(n))
	}

	l = openLog(t, fs, opts)
	checkFrom(l)
	// Appending after reopen starts a new file.
	lsn, err := l.Commit([]byte("x"))
	require.NoError(t, err)
	require.Equal(t, LSN(n+1), lsn)
	require.Contains(t, walFiles(t, fs, testDir), fileName(n+1))
}

// TestRotationEveryBatch uses the smallest segment size: every batch gets its
// own file.
func TestRotationEveryBatch(t *testing.T) {
	fs := vfs.NewMem()
	l := openLog(t, fs, Options{SegmentSize: 1})
	for i := range 20 {
		_, err := l.Commit(testPayload(i))
		require.NoError(t, err)
	}
	require.Len(t, walFiles(t, fs, testDir), 20)
	require.NoError(t, l.Close())
	l = openLog(t, fs, Options{SegmentSize: 1})
	got := replayAll(t, l, 7)
	require.Len(t, got, 14)
	for _, r := range got {
		require.Equal(t, testPayload(int(r.lsn)-1), r.payload)
	}
}

// TestReopenWithoutAppends: a log opened and closed with no appends, and a
// newest file holding no records, reopen cleanly and keep LSNs.
func TestReopenWithoutAppends(t *testing.T) {
	fs := vfs.NewMem()
	l := openLog(t, fs, Options{})
	require.NoError(t, l.Close())
	l = openLog(t, fs, Options{})
	_, err := l.Commit([]byte("a"))
	require.NoError(t, err)
	require.NoError(t, l.Close())
	for range 3 {
		l = openLog(t, fs, Options{})
		require.Equal(t, LSN(1), l.LastLSN())
		require.NoError(t, l.Close())
	}
	// A header-only newest file (created, crashed before any record was
	// written) is replaced by the next file with the same first LSN.
	writeFile(t, fs, fs.PathJoin(testDir, fileName(2)), encodeFileHeader(2))
	l = openLog(t, fs, Options{})
	require.Equal(t, LSN(1), l.LastLSN())
	lsn, err := l.Commit([]byte("b"))
	require.NoError(t, err)
	require.Equal(t, LSN(2), lsn)
	require.Equal(t, []record{{1, []byte("a")}, {2, []byte("b")}}, replayAll(t, l, 0))
	require.NoError(t, l.Close())
	l = openLog(t, fs, Options{})
	require.Equal(t, []record{{1, []byte("a")}, {2, []byte("b")}}, replayAll(t, l, 0))
}

func TestAPIErrors(t *testing.T) {
	fs := vfs.NewMem()
	l := openLog(t, fs, Options{})
	require.NoError(t, l.Sync(0))
	err := l.Sync(1)
	require.Error(t, err)
	lsn, err := l.Append([]byte("a"))
	require.NoError(t, err)
	require.Error(t, l.Sync(lsn+1))
	require.NoError(t, l.Close())

	require.NoError(t, l.Sync(lsn), "durable LSN after close")
	_, err = l.Append([]byte("b"))
	require.ErrorIs(t, err, ErrClosed)
	_, err = l.Commit([]byte("b"))
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, l.Replay(0, func(LSN, []byte) error { return nil }), ErrClosed)
	require.ErrorIs(t, l.Close(), ErrClosed)

	// Replay stops at and returns fn's error.
	l = openLog(t, fs, Options{})
	_, err = l.Commit([]byte("b"))
	require.NoError(t, err)
	stop := errors.New("stop")
	calls := 0
	err = l.Replay(0, func(LSN, []byte) error { calls++; return stop })
	require.Equal(t, stop, err)
	require.Equal(t, 1, calls)
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr bool
	}{
		{name: "ok", opts: Options{FS: vfs.NewMem(), Dir: "/w"}},
		{name: "nil FS", opts: Options{Dir: "/w"}, wantErr: true},
		{name: "empty dir", opts: Options{FS: vfs.NewMem()}, wantErr: true},
		{name: "negative segment size", opts: Options{FS: vfs.NewMem(), Dir: "/w", SegmentSize: -1}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			l, err := Open(opts)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.NoError(t, l.Close())
			require.Equal(t, tc.opts, opts, "Open must not modify the caller's options")
			d := opts.EnsureDefaults()
			require.Equal(t, int64(DefaultSegmentSize), d.SegmentSize)
			require.NotNil(t, d.Logger)
		})
	}
}

func TestLocked(t *testing.T) {
	fs := vfs.NewMem()
	l := openLog(t, fs, Options{})
	_, err := Open(Options{FS: fs, Dir: testDir})
	require.Error(t, err)
	require.NoError(t, l.Close())
	l2 := openLog(t, fs, Options{})
	require.NoError(t, l2.Close())
}

// TestReplayConcurrent replays an open log while 8 writers commit.
func TestReplayConcurrent(t *testing.T) {
	fs := vfs.NewMem()
	l := openLog(t, fs, Options{SegmentSize: 4 << 10})
	const writers, perWriter = 8, 150
	payload := func(w, seq int) []byte {
		return fmt.Appendf(nil, "w%d-s%d-%s", w, seq, bytes.Repeat([]byte{'x'}, seq%40))
	}
	var wg sync.WaitGroup
	var done atomic.Bool
	for w := range writers {
		wg.Go(func() {
			for seq := range perWriter {
				lsn, err := l.Commit(payload(w, seq))
				if err != nil {
					t.Errorf("commit: %v", err)
					return
				}
				if l.DurableLSN() < lsn {
					t.Errorf("DurableLSN %d < committed %d", l.DurableLSN(), lsn)
				}
			}
		})
	}
	var replays atomic.Int64
	replayer := func() {
		for !done.Load() {
			durableBefore := l.DurableLSN()
			next := make([]int, writers)
			var last LSN
			err := l.Replay(0, func(lsn LSN, p []byte) error {
				if lsn != last+1 {
					return fmt.Errorf("LSN %d after %d", lsn, last)
				}
				last = lsn
				var w, seq int
				if _, err := fmt.Sscanf(string(p), "w%d-s%d-", &w, &seq); err != nil {
					return fmt.Errorf("LSN %d: bad payload %q", lsn, p)
				}
				if seq != next[w] || !bytes.Equal(p, payload(w, seq)) {
					return fmt.Errorf("LSN %d: writer %d seq %d, want %d", lsn, w, seq, next[w])
				}
				next[w]++
				return nil
			})
			if err != nil {
				t.Errorf("replay: %v", err)
				return
			}
			if last < durableBefore {
				t.Errorf("replay stopped at %d, durable was %d before it started", last, durableBefore)
				return
			}
			replays.Add(1)
		}
	}
	var rg sync.WaitGroup
	for range 2 {
		rg.Go(replayer)
	}
	wg.Wait()
	done.Store(true)
	rg.Wait()
	require.Positive(t, replays.Load())
	require.Len(t, replayAll(t, l, 0), writers*perWriter)
}

// slowSyncFS adds latency to every fsync, like a real disk, so that
// concurrent committers pile up behind the leader.
func slowSyncFS(fs vfs.FS, d time.Duration) vfs.FS {
	return errorfs.Wrap(fs, errorfs.InjectorFunc(func(op errorfs.Op) error {
		switch op.Kind {
		case errorfs.OpFileSync, errorfs.OpFileSyncData:
			time.Sleep(d)
		}
		return nil
	}))
}

func TestGroupCommit(t *testing.T) {
	mem := vfs.NewMem()
	var c syncCounter
	opts := Options{OnSync: c.hook(), SegmentSize: 64 << 10}
	l := openLog(t, slowSyncFS(mem, 200*time.Microsecond), opts)
	const goroutines, perG = 32, 100
	var mu sync.Mutex
	committed := make(map[LSN][]byte)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				p := fmt.Appendf(nil, "g%d-i%d", g, i)
				lsn, err := l.Commit(p)
				if err != nil {
					t.Errorf("commit: %v", err)
					return
				}
				if d := l.DurableLSN(); d < lsn {
					t.Errorf("Commit returned LSN %d but DurableLSN is %d", lsn, d)
				}
				mu.Lock()
				committed[lsn] = p
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	const total = goroutines * perG
	syncs, dirs, records := c.counts()
	t.Logf("%d records, %d fsyncs (%.1f records/fsync), %d dir fsyncs", records, syncs, float64(records)/float64(syncs), dirs)
	require.Equal(t, total, records)
	require.Len(t, committed, total)
	require.Less(t, syncs, total/4, "group commit should batch")
	require.Equal(t, len(walFiles(t, mem, testDir)), dirs)
	require.NoError(t, l.Close())

	l = openLog(t, mem, Options{})
	got := replayAll(t, l, 0)
	require.Len(t, got, total)
	for _, r := range got {
		require.Equal(t, committed[r.lsn], r.payload, "LSN %d", r.lsn)
	}
}

// blockingSyncFS blocks every data fsync until release is closed, and
// signals entered when one starts.
func blockingSyncFS(fs vfs.FS, entered chan<- struct{}, release <-chan struct{}) vfs.FS {
	return errorfs.Wrap(fs, errorfs.InjectorFunc(func(op errorfs.Op) error {
		switch op.Kind {
		case errorfs.OpFileSync, errorfs.OpFileSyncData:
			if strings.HasSuffix(op.Path, fileSuffix) {
				entered <- struct{}{}
				<-release
			}
		}
		return nil
	}))
}

// TestAppendDuringFsync: Append and LastLSN do not wait for an fsync in
// progress, and a latecomer's Sync forms the next batch.
func TestAppendDuringFsync(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	fs := blockingSyncFS(vfs.NewMem(), entered, release)
	var c syncCounter
	l := openLog(t, fs, Options{OnSync: c.hook()})

	first := make(chan error)
	go func() {
		_, err := l.Commit([]byte("leader"))
		first <- err
	}()
	<-entered // the leader is inside fsync

	lsn2, err := l.Append([]byte("during fsync 1"))
	require.NoError(t, err)
	lsn3, err := l.Append([]byte("during fsync 2"))
	require.NoError(t, err)
	require.Equal(t, LSN(3), l.LastLSN())
	require.Equal(t, LSN(0), l.DurableLSN())
	second := make(chan error)
	go func() { second <- l.Sync(lsn3) }()

	close(release) // let this and every later fsync through
	require.NoError(t, <-first)
	<-entered
	require.NoError(t, <-second)
	require.Equal(t, lsn3, l.DurableLSN())
	require.NoError(t, l.Sync(lsn2))
	syncs, _, records := c.counts()
	require.Equal(t, 2, syncs)
	require.Equal(t, 3, records)
	require.NoError(t, l.Close())
}
