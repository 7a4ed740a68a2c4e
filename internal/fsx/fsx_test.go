package fsx_test

import (
	"errors"
	"io"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/internal/fsx"
	"github.com/wormstore/wormstore/internal/fsx/fsxtest"
)

func writeFile(t *testing.T, fs vfs.FS, path string, data []byte) {
	t.Helper()
	f, err := fs.Create(path, vfs.WriteCategoryUnspecified)
	require.NoError(t, err)
	_, err = f.Write(data)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
}

func readFile(t *testing.T, fs vfs.FS, path string) []byte {
	t.Helper()
	f, err := fs.Open(path)
	require.NoError(t, err)
	defer f.Close()
	b, err := io.ReadAll(f)
	require.NoError(t, err)
	return b
}

// TestTruncate cuts a file in place on every kind of FS the server and the
// tests use, and reports ErrTruncateUnsupported where it cannot.
func TestTruncate(t *testing.T) {
	data := []byte("0123456789abcdef")
	tests := []struct {
		name        string
		fs          func(t *testing.T) (vfs.FS, string)
		unsupported bool
	}{
		{"default (os.File Truncate)", func(t *testing.T) (vfs.FS, string) { return vfs.Default, t.TempDir() }, false},
		{"errorfs over default (Fd)", func(t *testing.T) (vfs.FS, string) {
			return errorfs.Wrap(vfs.Default, errorfs.InjectorFunc(func(errorfs.Op) error { return nil })), t.TempDir()
		}, false},
		{"disk health over default (Fd)", func(t *testing.T) (vfs.FS, string) {
			fs, closer := vfs.WithDiskHealthChecks(vfs.Default, 0, nil, func(vfs.DiskSlowInfo) {})
			t.Cleanup(func() { _ = closer.Close() })
			return fs, t.TempDir()
		}, false},
		{"fsxtest over crashable mem", func(t *testing.T) (vfs.FS, string) { return fsxtest.New(vfs.NewCrashableMem()), "" }, false},
		{"mem", func(t *testing.T) (vfs.FS, string) { return vfs.NewMem(), "" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, dir := tt.fs(t)
			path := fs.PathJoin(dir, "f")
			writeFile(t, fs, path, data)
			f, err := fs.OpenReadWrite(path, vfs.WriteCategoryUnspecified)
			require.NoError(t, err)
			require.Equal(t, !tt.unsupported, fsx.CanTruncate(f))
			err = fsx.Truncate(f, 5)
			if tt.unsupported {
				require.ErrorIs(t, err, fsx.ErrTruncateUnsupported)
				require.NoError(t, f.Close())
				require.Equal(t, data, readFile(t, fs, path), "unchanged")
				return
			}
			require.NoError(t, err)
			_, err = f.WriteAt([]byte("XY"), 5)
			require.NoError(t, err)
			require.NoError(t, f.Sync())
			st, err := f.Stat()
			require.NoError(t, err)
			require.Equal(t, int64(7), st.Size())
			require.NoError(t, f.Close())
			require.Equal(t, []byte("01234XY"), readFile(t, fs, path))
		})
	}
}

// TestTruncateCrash checks the fsxtest model: a crash before the Sync that
// follows Truncate leaves the file whole, after it cut.
func TestTruncateCrash(t *testing.T) {
	mem := vfs.NewCrashableMem()
	fs := fsxtest.New(mem)
	data := []byte("0123456789abcdef")
	writeFile(t, fs, "f", data)
	d, err := mem.OpenDir("")
	require.NoError(t, err)
	require.NoError(t, d.Sync())
	require.NoError(t, d.Close())

	f, err := fs.OpenReadWrite("f", vfs.WriteCategoryUnspecified)
	require.NoError(t, err)
	require.NoError(t, fsx.Truncate(f, 4))
	before := mem.CrashClone(vfs.CrashCloneCfg{})
	require.Equal(t, data, readFile(t, before, "f"), "crash before sync: uncut")
	require.NoError(t, f.Sync())
	after := mem.CrashClone(vfs.CrashCloneCfg{})
	require.Equal(t, data[:4], readFile(t, after, "f"), "crash after sync: cut")
	require.NoError(t, f.Close())
	require.Equal(t, 1, fs.Truncates())
}

// TestBudget checks the full-disk model: growth beyond the budget fails
// with ENOSPC, overwrites and truncation are free.
func TestBudget(t *testing.T) {
	fs := fsxtest.New(vfs.NewMem())
	fs.SetBudget(10)
	f, err := fs.Create("f", vfs.WriteCategoryUnspecified)
	require.NoError(t, err)
	_, err = f.Write(make([]byte, 8))
	require.NoError(t, err)
	_, err = f.Write(make([]byte, 3))
	require.True(t, errors.Is(err, syscall.ENOSPC), "got %v", err)
	_, err = f.WriteAt(make([]byte, 8), 0)
	require.NoError(t, err, "overwrite is free")
	require.NoError(t, fsx.Truncate(f, 2))
	require.Equal(t, int64(2), fs.Budget())
	_, err = f.Write(make([]byte, 2))
	require.NoError(t, err)
	_, err = fs.Create("g", vfs.WriteCategoryUnspecified)
	require.ErrorIs(t, err, syscall.ENOSPC)
	require.NoError(t, f.Close())
}
