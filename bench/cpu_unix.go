//go:build unix

package bench

import (
	"syscall"
	"time"
)

// ProcessCPUTime returns the user plus system CPU time this process has
// used so far, or 0 if it cannot be read. Its difference over a timed
// section, divided by the ops, is the CPU cost per op whatever else the
// machine runs.
func ProcessCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
