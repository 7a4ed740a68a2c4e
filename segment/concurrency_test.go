package segment

import (
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"
)

// TestGroupCommit holds the first fsync of the active segment until many
// other writers have called Sync: they share the following fsyncs instead
// of issuing one each.
func TestGroupCommit(t *testing.T) {
	const writers = 16
	var syncs atomic.Int32
	var armed atomic.Bool
	release := make(chan struct{})
	var first sync.Once
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if armed.Load() && op.Kind == errorfs.OpFileSync && strings.HasSuffix(op.Path, segSuffix) {
			syncs.Add(1)
			first.Do(func() { <-release })
		}
		return nil
	})
	s2 := openTest(t, errorfs.Wrap(vfs.NewMem(), inj), Options{BlockSize: 64})
	// Create the segment before counting (its header sync is not a commit).
	warm := writeObject(t, s2, []byte("warm up"), 0)
	armed.Store(true)

	var wg sync.WaitGroup
	wg.Go(func() { // the first, held, committer
		if err := s2.Sync(warm); err != nil {
			t.Error(err)
		}
	})
	var called sync.WaitGroup
	objs := make([][]Extent, writers)
	for i := range writers {
		called.Add(1)
		wg.Go(func() {
			exts, err := tryWriteObject(s2, []byte(strings.Repeat("x", 100+i)), 0)
			if err != nil {
				t.Error(err)
			}
			objs[i] = exts
			called.Done()
			if err := s2.Sync(exts); err != nil {
				t.Error(err)
			}
		})
	}
	called.Wait()
	close(release)
	wg.Wait()
	armed.Store(false)
	got := syncs.Load()
	t.Logf("%d Sync calls, %d fsyncs", writers+1, got)
	require.LessOrEqual(t, got, int32(writers/2), "got %d fsyncs for %d Sync calls", got, writers+1)
	for i, exts := range objs {
		requireRead(t, s2, exts, []byte(strings.Repeat("x", 100+i)), 0, int64(100+i))
	}
}

// TestConcurrentMixed runs writers, readers, syncs, seals and compaction
// copies at once (for -race), then closes the store under an open reader.
func TestConcurrentMixed(t *testing.T) {
	const bs = 256
	mem := vfs.NewMem()
	s := openTest(t, mem, Options{BlockSize: bs, TargetSize: 8 << 10})
	var mu sync.Mutex
	var objs []object
	pick := func(rng *rand.Rand) (object, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(objs) == 0 {
			return object{}, false
		}
		return objs[rng.IntN(len(objs))], true
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 4 {
		wg.Go(func() { // writers
			rng := rand.New(rand.NewPCG(uint64(g), 20))
			for range 40 {
				data := compressibleBytes(rng, rng.IntN(4*bs))
				exts, err := tryWriteObject(s, data, 1+rng.IntN(bs))
				if err == nil {
					err = s.Sync(exts)
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				objs = append(objs, object{data, exts})
				mu.Unlock()
			}
		})
	}
	for g := range 3 {
		wg.Go(func() { // readers and compaction copies
			rng := rand.New(rand.NewPCG(uint64(g), 21))
			for {
				select {
				case <-stop:
					return
				default:
				}
				o, ok := pick(rng)
				if !ok || len(o.data) == 0 {
					continue
				}
				off := rng.Int64N(int64(len(o.data)))
				n := rng.Int64N(int64(len(o.data)) - off + 1)
				got, err := readRange(s, o.exts, off, n)
				if err != nil || string(got) != string(o.data[off:off+n]) {
					t.Errorf("read: %v", err)
					return
				}
				if g == 0 {
					var moved []Extent
					for _, e := range o.exts {
						out, err := s.CopyExtent(e)
						if err != nil {
							t.Error(err)
							return
						}
						moved = append(moved, out...)
					}
					if err := s.Sync(moved); err != nil {
						t.Error(err)
						return
					}
					requireRead(t, s, moved, o.data, 0, int64(len(o.data)))
				}
			}
		})
	}
	wg.Go(func() { // sealer and observer
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := s.Seal(); err != nil {
				t.Error(err)
				return
			}
			_ = s.Segments()
			_ = s.ActiveID()
		}
	})
	// Writers finish first; then stop the rest.
	for {
		mu.Lock()
		n := len(objs)
		mu.Unlock()
		if n == 4*40 || t.Failed() {
			break
		}
		if err := s.Verify(1, nil); err != nil && !errors.Is(err, ErrNotFound) {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	require.False(t, t.Failed())

	// Close with a reader open: it then fails cleanly.
	o := objs[0]
	for _, x := range objs {
		if len(x.data) > 0 {
			o = x
			break
		}
	}
	r, err := s.NewReader(o.exts, 0, int64(len(o.data)))
	require.NoError(t, err)
	checkStore(t, s)
	require.NoError(t, s.Close())
	_, err = r.Read(make([]byte, 10))
	require.ErrorIs(t, err, ErrClosed)
	require.NoError(t, r.Close())

	s = openTest(t, mem, Options{BlockSize: bs})
	for _, o := range objs {
		requireRead(t, s, o.exts, o.data, 0, int64(len(o.data)))
	}
}
