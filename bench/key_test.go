package bench

import (
	"fmt"
	"testing"
)

// TestAppendPadded pins nextKey's digits to fmt's %0Nd.
func TestAppendPadded(t *testing.T) {
	for _, width := range []int{1, 3, 8} {
		for _, n := range []int{0, 1, 9, 10, 99, 100, 999, 1000, 12345678, 123456789, 1<<62 + 7} {
			want := fmt.Sprintf("%0*d", width, n)
			if got := string(appendPadded([]byte("p/"), n, width)); got != "p/"+want {
				t.Errorf("appendPadded(%d, %d) = %q, want %q", n, width, got, "p/"+want)
			}
		}
	}
	w := &worker{id: 7, r: &runner{prefix: "wsbench-x/"}, seq: 41}
	if got, want := w.nextKey(), "wsbench-x/007/00000042"; got != want {
		t.Errorf("nextKey = %q, want %q", got, want)
	}
}
