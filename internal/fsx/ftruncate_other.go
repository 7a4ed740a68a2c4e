//go:build !unix

package fsx

const ftruncateSupported = false

func ftruncate(uintptr, int64) error { return ErrTruncateUnsupported }
