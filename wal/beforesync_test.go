package wal

import (
	"errors"
	"sync/atomic"
	"testing"

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
