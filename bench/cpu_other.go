//go:build !unix

package bench

import "time"

// ProcessCPUTime returns 0: the CPU time is only read on unix systems.
func ProcessCPUTime() time.Duration { return 0 }
