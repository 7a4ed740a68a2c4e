//go:build !linux

package bench

import "time"

// RunQueueWait returns 0: it is only read on Linux.
func RunQueueWait() time.Duration { return 0 }
