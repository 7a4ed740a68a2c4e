package bench

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// RunQueueWait returns the total time this process's live threads have
// spent runnable but waiting for a CPU (the second field of
// /proc/self/task/*/schedstat), or 0 if it cannot be read. A large
// difference over a timed section means the machine was oversubscribed
// and wall-clock figures overstate the engine's cost.
func RunQueueWait() time.Duration {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0
	}
	var total time.Duration
	for _, t := range tasks {
		data, err := os.ReadFile("/proc/self/task/" + t.Name() + "/schedstat")
		if err != nil {
			continue // the thread exited
		}
		f := strings.Fields(string(data))
		if len(f) < 2 {
			continue
		}
		if ns, err := strconv.ParseInt(f[1], 10, 64); err == nil {
			total += time.Duration(ns)
		}
	}
	return total
}
