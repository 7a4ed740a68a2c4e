//go:build unix

package fsx

import (
	"fmt"
	"syscall"
)

const ftruncateSupported = true

func ftruncate(fd uintptr, size int64) error {
	if err := syscall.Ftruncate(int(fd), size); err != nil {
		return fmt.Errorf("fsx: ftruncate: %w", err)
	}
	return nil
}
