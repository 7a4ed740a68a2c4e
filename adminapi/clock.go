package adminapi

// GET /admin/v1/clock   Clock: the server clock, the time high-water
// mark and how far the clock is behind it (see engine/clock.go).

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/wormstore/wormstore/engine"
)

// Clock is engine.ClockStatus on the wire.
type Clock struct {
	Clock     time.Time `json:"clock"`
	HighWater time.Time `json:"high_water"`
	// Judged is the time retention is judged at: max(clock, high water).
	Judged time.Time `json:"judged"`
	// BehindSeconds is how far the clock is behind the high-water mark
	// (0 when it is not).
	BehindSeconds float64 `json:"behind_seconds"`
	// Warning explains a lag of more than engine.ClockBehindWarning; empty
	// otherwise.
	Warning string `json:"warning,omitempty"`
}

func clockOf(s engine.ClockStatus) Clock {
	return Clock{Clock: s.Clock.UTC(), HighWater: s.HighWater.UTC(), Judged: s.Judged().UTC(),
		BehindSeconds: s.Behind.Seconds(), Warning: clockWarning(s)}
}

// clockWarning is the operator's explanation of a clock behind the
// high-water mark, or "" when the lag is within engine.ClockBehindWarning.
func clockWarning(s engine.ClockStatus) string {
	if !s.Warn() {
		return ""
	}
	return fmt.Sprintf("clock is %s behind the time high-water mark %s: retention is judged at the mark until the clock catches up, "+
		"so retain-until dates before it are refused (the mark never moves back: a clock set back cannot unlock data)",
		s.Behind.Round(time.Millisecond), s.HighWater.UTC().Format(time.RFC3339))
}

func (a *API) clock(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var s engine.ClockStatus
	if err := a.withEngine(func(eng *engine.Engine) error {
		s = eng.ClockStatus()
		return nil
	}); err != nil {
		return err
	}
	writeAdminJSON(w, http.StatusOK, clockOf(s))
	return nil
}

// ReadyWarnings returns the lines /health/ready adds to its body for
// conditions that do not stop reads or writes (the answer stays 200).
func (a *API) ReadyWarnings() string {
	var s engine.ClockStatus
	var tw string
	if err := a.withEngine(func(eng *engine.Engine) error {
		s = eng.ClockStatus()
		tw = eng.TierWarning()
		return nil
	}); err != nil {
		return ""
	}
	out := ""
	if w := clockWarning(s); w != "" {
		out += "warning: " + w + "\n"
	}
	if tw != "" {
		out += "warning: " + tw + "\n" // remote tier errors (retried; no local data at risk)
	}
	return out
}
