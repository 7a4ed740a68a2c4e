//go:build !unix

package fsx

func ftruncate(uintptr, int64) error { return ErrTruncateUnsupported }
