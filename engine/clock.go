package engine

import "time"

// The engine judges retention against max(Options.Clock(), high-water
// mark). The mark is the latest time the engine has judged or seen: every
// WAL record carries its judged time, the CLOCK file persists the mark
// while idle (Options.ClockPersistInterval) and at Close, and Open raises
// the mark to the newest of both. Setting the clock back therefore never
// makes an expired-looking retention out of one still in force: that is
// the anti-rollback defence.
//
// The price is that a forward jump is permanent. If the clock ran ahead
// (say a bad NTP answer put it at next year) and is then corrected, the
// mark stays ahead until the real clock catches up: retention is judged
// at the mark, so versions whose retention ends before the mark are
// deletable, and a retain-until date before the mark is refused as "not
// in the future". The engine keeps that behaviour (undoing it would let
// anyone who can move the clock back unlock data) and makes it visible:
// ClockStatus reports the skew, and the engine logs a warning each
// ClockPersistInterval while the clock is more than ClockBehindWarning
// behind the mark. The server exports it as a metric, a /health/ready
// warning and `wormstore admin clock`.

// ClockBehindWarning is how far the clock may lag the high-water mark
// before the engine warns. Smaller lags are normal: the mark is advanced
// by concurrent requests between two reads of the clock.
const ClockBehindWarning = time.Second

// ClockStatus is the engine's view of time at one moment.
type ClockStatus struct {
	// Clock is Options.Clock() (the wall clock of the server).
	Clock time.Time
	// HighWater is the high-water mark: the latest time the engine has
	// judged, logged or persisted. Retention is judged at
	// max(Clock, HighWater).
	HighWater time.Time
	// Behind is HighWater - Clock when the clock lags the mark, else 0.
	Behind time.Duration
}

// Judged returns the time retention is judged against: max(Clock,
// HighWater).
func (s ClockStatus) Judged() time.Time {
	if s.Behind > 0 {
		return s.HighWater
	}
	return s.Clock
}

// Warn reports whether the clock lags the mark by more than
// ClockBehindWarning.
func (s ClockStatus) Warn() bool { return s.Behind > ClockBehindWarning }

// ClockStatus returns the clock, the high-water mark and how far the clock
// is behind it. It does not advance the mark. Safe for concurrent use.
func (e *Engine) ClockStatus() ClockStatus {
	clock := e.opts.Clock().UTC()
	hw := time.Unix(0, e.hwm.Load()).UTC()
	s := ClockStatus{Clock: clock, HighWater: hw}
	if hw.After(clock) {
		s.Behind = hw.Sub(clock)
	}
	return s
}

// warnClockBehind logs a warning if the clock lags the high-water mark by
// more than ClockBehindWarning. clockLoop calls it once per tick, which
// rate-limits the warning.
func (e *Engine) warnClockBehind() {
	s := e.ClockStatus()
	if !s.Warn() {
		return
	}
	e.log.Warn("engine: clock is behind the time high-water mark; retention is judged at the mark until the clock catches up, so retain-until dates before it are refused",
		"clock", s.Clock.Format(time.RFC3339Nano), "high_water", s.HighWater.Format(time.RFC3339Nano),
		"behind", s.Behind.String())
}
