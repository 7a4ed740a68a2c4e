package segment

import (
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

var benchKinds = []struct {
	name string
	gen  func(*rand.Rand, int) []byte
}{
	{"random", randomBytes},
	{"text", compressibleBytes},
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dKiB", n>>10)
}

// BenchmarkWrite writes one object per iteration and syncs it, on a real
// temporary directory with default options.
func BenchmarkWrite(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10, 1 << 20, 64 << 20} {
		for _, kind := range benchKinds {
			b.Run(fmt.Sprintf("size=%s/%s", sizeName(size), kind.name), func(b *testing.B) {
				s, err := Open(Options{FS: vfs.Default, Dir: b.TempDir()})
				require.NoError(b, err)
				defer func() { require.NoError(b, s.Close()) }()
				data := kind.gen(rand.New(rand.NewPCG(1, 1)), size)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					exts := writeObject(b, s, data, 0)
					require.NoError(b, s.Sync(exts))
				}
			})
		}
	}
}

// BenchmarkWriteParallel writes and syncs 64 KiB objects from many
// goroutines, so concurrent Syncs share fsyncs (group commit).
func BenchmarkWriteParallel(b *testing.B) {
	s, err := Open(Options{FS: vfs.Default, Dir: b.TempDir()})
	require.NoError(b, err)
	defer func() { require.NoError(b, s.Close()) }()
	data := randomBytes(rand.New(rand.NewPCG(1, 1)), 64<<10)
	b.SetBytes(int64(len(data)))
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			exts, err := tryWriteObject(s, data, 0)
			if err == nil {
				err = s.Sync(exts)
			}
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkRead reads a 16 MiB object whole, and 4 KiB ranges of it at
// random offsets.
func BenchmarkRead(b *testing.B) {
	const size = 16 << 20
	for _, kind := range benchKinds {
		s, err := Open(Options{FS: vfs.Default, Dir: b.TempDir()})
		require.NoError(b, err)
		data := kind.gen(rand.New(rand.NewPCG(2, 2)), size)
		exts := writeObject(b, s, data, 0)
		require.NoError(b, s.Sync(exts))
		buf := make([]byte, 256<<10)
		b.Run(fmt.Sprintf("full/%s", kind.name), func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				r, err := s.NewReader(exts, 0, size)
				require.NoError(b, err)
				n, err := io.CopyBuffer(io.Discard, r, buf)
				require.NoError(b, err)
				require.Equal(b, int64(size), n)
				require.NoError(b, r.Close())
			}
		})
		b.Run(fmt.Sprintf("range4KiB/%s", kind.name), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 3))
			b.SetBytes(4 << 10)
			b.ReportAllocs()
			for b.Loop() {
				off := rng.Int64N(size - 4<<10)
				r, err := s.NewReader(exts, off, 4<<10)
				require.NoError(b, err)
				n, err := io.CopyBuffer(io.Discard, r, buf)
				require.NoError(b, err)
				require.Equal(b, int64(4<<10), n)
				require.NoError(b, r.Close())
			}
		})
		require.NoError(b, s.Close())
	}
}
