//go:build unix

package identity

import (
	"syscall"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// restrictMode makes f readable and writable by its owner only, when it is
// a real file.
func restrictMode(f vfs.File) error {
	fd := f.Fd()
	if fd == vfs.InvalidFd {
		return nil
	}
	return syscall.Fchmod(int(fd), 0o600)
}
