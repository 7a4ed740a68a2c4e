package engine

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

// logBuffer is a goroutine-safe log sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) Reset() {
	b.mu.Lock()
	b.buf.Reset()
	b.mu.Unlock()
}

// TestClockForwardJumpIsPermanentAndReported pins the documented behaviour
// of a forward clock jump (issue 10 item 11): once the engine has judged a
// time, putting the clock back does not move judged time back, even across
// a restart, so a retain-until date between the clock and the mark is
// refused. The skew is reported by ClockStatus and a warning log line.
func TestClockForwardJumpIsPermanentAndReported(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	clock := newFakeClock()
	t0 := clock.Now()
	var logs logBuffer
	opts := testOptions(fs, clock)
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))

	e, err := Open(ctx, opts)
	require.NoError(t, err)
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{ObjectLock: true}))
	s := e.ClockStatus()
	require.Equal(t, t0, s.Clock)
	require.Zero(t, s.Behind)
	require.False(t, s.Warn())

	// The clock jumps an hour ahead and a write is judged there.
	clock.Advance(time.Hour)
	_, err = e.PutObject(ctx, "b", "k", strings.NewReader("x"), PutOptions{Size: 1})
	require.NoError(t, err)
	// The operator corrects it.
	clock.Set(t0.Add(time.Minute))
	s = e.ClockStatus()
	require.Equal(t, t0.Add(time.Minute), s.Clock)
	require.Equal(t, t0.Add(time.Hour), s.HighWater)
	require.Equal(t, 59*time.Minute, s.Behind)
	require.True(t, s.Warn())
	require.Equal(t, t0.Add(time.Hour), s.Judged())
	require.Equal(t, t0.Add(time.Hour), e.Now(), "judged time stays at the mark")

	// A date in the future of the real clock but before the mark is refused.
	_, _, err = e.PutObjectRetention(ctx, "b", "k", "", Retention{Mode: ModeGovernance, Until: t0.Add(30 * time.Minute)}, false)
	require.ErrorIs(t, err, ErrInvalidRetention)
	_, _, err = e.PutObjectRetention(ctx, "b", "k", "", Retention{Mode: ModeGovernance, Until: t0.Add(2 * time.Hour)}, false)
	require.NoError(t, err)

	logs.Reset()
	e.warnClockBehind()
	require.Contains(t, logs.String(), "clock is behind the time high-water mark")
	require.Contains(t, logs.String(), "behind=59m0s")
	require.Contains(t, logs.String(), "level=WARN")

	// The mark survives a restart; the warning is logged at open.
	require.NoError(t, e.Close())
	logs.Reset()
	e, err = Open(ctx, opts)
	require.NoError(t, err)
	require.Equal(t, 59*time.Minute, e.ClockStatus().Behind)
	require.NoError(t, e.Close()) // waits for clockLoop's first check
	require.Contains(t, logs.String(), "clock is behind the time high-water mark")

	// Once the clock catches up the skew and the warning are gone.
	clock.Set(t0.Add(time.Hour + time.Second))
	logs.Reset()
	e = openTest(t, opts)
	s = e.ClockStatus()
	require.Zero(t, s.Behind)
	require.False(t, s.Warn())
	e.warnClockBehind()
	require.NotContains(t, logs.String(), "clock is behind")
}

// TestClockBehindWarningThreshold checks that a lag up to
// ClockBehindWarning is not reported as a problem.
func TestClockBehindWarningThreshold(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, testOptions(vfs.NewMem(), clock))
	t0 := clock.Now()
	clock.Advance(ClockBehindWarning)
	e.Now()
	clock.Set(t0)
	s := e.ClockStatus()
	require.Equal(t, ClockBehindWarning, s.Behind)
	require.False(t, s.Warn())
	clock.Set(t0.Add(-time.Nanosecond))
	require.True(t, e.ClockStatus().Warn())
}
