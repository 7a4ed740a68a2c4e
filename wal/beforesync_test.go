package wal

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

// TestBeforeSync: the hook runs before each batch is written, and its
// failure fails the batch and is sticky.
func TestBeforeSync(t *testing.T) {
	fs := vfs.NewMem()
	var calls atomic.Int64
	var durableAtCall atomic.Int64
	var fail atomic.Bool
	boom := errors.New("data fsync failed")
	var l *Log
	l = openLog(t, fs, Options{Dir: "/wal", BeforeSync: func() error {
		calls.Add(1)
		durableAtCall.Store(int64(l.DurableLSN()))
		if fail.Load() {
			return boom
		}
		return nil
	}})
	lsn, err := l.Commit([]byte("a"))
	require.NoError(t, err)
	require.Equal(t, int64(1), calls.Load())
	require.Equal(t, int64(lsn-1), durableAtCall.Load(), "hook runs before the batch is durable")
	fail.Store(true)
	_, err = l.Commit([]byte("b"))
	require.ErrorIs(t, err, boom)
	require.ErrorIs(t, err, ErrFailed)
	_, err = l.Append([]byte("c"))
	require.Error(t, err, "failure is sticky")
}

// TestBeforeSyncPipelined: the next batch's hook runs while the previous
// batch is being written and fsynced, and batches still become durable in
// LSN order.
func TestBeforeSyncPipelined(t *testing.T) {
	fs := vfs.NewMem()
	writing := make(chan struct{})
	prepared := make(chan struct{})
	var l *Log
	var calls atomic.Int64
	var durableAtSecond atomic.Int64
	var overlapped atomic.Bool
	l = openLog(t, fs, Options{Dir: "/wal",
		BeforeSync: func() error {
			if calls.Add(1) == 2 {
				durableAtSecond.Store(int64(l.DurableLSN()))
				close(prepared)
			}
			return nil
		},
		OnSync: func(time.Duration, int) {
			if calls.Load() == 1 && !overlapped.Load() {
				// Batch 1 is fsynced but not yet reported durable: hold
				// it until batch 2 has been prepared.
				overlapped.Store(true)
				close(writing)
				select {
				case <-prepared:
				case <-time.After(10 * time.Second):
				}
			}
		}})
	errc := make(chan error, 1)
	go func() { _, err := l.Commit([]byte("a")); errc <- err }()
	<-writing
	lsn, err := l.Commit([]byte("b"))
	require.NoError(t, err)
	require.NoError(t, <-errc)
	require.Equal(t, LSN(2), lsn)
	select {
	case <-prepared:
	default:
		t.Fatal("batch 2's hook did not run while batch 1 was being written")
	}
	require.Zero(t, durableAtSecond.Load(), "batch 2 prepared before batch 1 was durable")
	got := replayAll(t, l, 1)
	require.Len(t, got, 2)
	require.Equal(t, "a", string(got[0].payload))
	require.Equal(t, "b", string(got[1].payload))
}
