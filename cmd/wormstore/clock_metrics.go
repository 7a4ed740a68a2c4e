package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/wormstore/wormstore/engine"
)

// registerClock adds the clock gauges: how far the clock is behind the time
// high-water mark (alert when > 1 s for long: see engine/clock.go) and the
// mark itself.
func (m *metrics) registerClock(eng *engine.Engine) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "wormstore_clock_behind_high_water_seconds",
			Help: "How far the server clock is behind the time high-water mark retention is judged at (0 when not behind).",
		}, func() float64 { return eng.ClockStatus().Behind.Seconds() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "wormstore_clock_high_water_timestamp_seconds",
			Help: "The time high-water mark, as a Unix timestamp.",
		}, func() float64 { return float64(eng.ClockStatus().HighWater.UnixNano()) / 1e9 }),
	)
}
