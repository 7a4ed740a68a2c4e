package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wormstore/wormstore/lifecycle"
)

// registerLifecycle exports the lifecycle worker's counts: passes, actions
// by kind, versions kept because they are locked, actions skipped because
// the key changed, errors, and the last pass's time and duration.
func (m *metrics) registerLifecycle(w *lifecycle.Worker) {
	counter := func(name, help string, labels prometheus.Labels, f func(lifecycle.Totals) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels},
			func() float64 { return float64(f(w.Totals())) })
	}
	cs := []prometheus.Collector{
		counter("wormstore_lifecycle_passes_total", "Lifecycle passes run (scheduled and admin).", nil,
			func(t lifecycle.Totals) int64 { return t.Passes }),
		counter("wormstore_lifecycle_skipped_locked_total", "Versions a lifecycle rule selected but kept because they are under retention or legal hold (counted again by every pass until the lock ends).", nil,
			func(t lifecycle.Totals) int64 { return t.SkippedLocked }),
		counter("wormstore_lifecycle_skipped_changed_total", "Lifecycle actions not carried out because the key changed since it was listed.", nil,
			func(t lifecycle.Totals) int64 { return t.SkippedChanged }),
		counter("wormstore_lifecycle_errors_total", "Lifecycle actions that failed, and buckets whose configuration could not be read.", nil,
			func(t lifecycle.Totals) int64 { return t.Errors }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "wormstore_lifecycle_last_pass_timestamp_seconds",
			Help: "When the last lifecycle pass started (engine clock), as a Unix timestamp; 0 before the first.",
		}, func() float64 {
			t := w.Totals().LastPass.Started
			if t.IsZero() {
				return 0
			}
			return float64(t.UnixNano()) / 1e9
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "wormstore_lifecycle_last_pass_duration_seconds", Help: "How long the last lifecycle pass took.",
		}, func() float64 { return w.Totals().LastPass.Took.Seconds() }),
	}
	for _, k := range lifecycle.ActionKinds {
		k := k
		cs = append(cs, counter("wormstore_lifecycle_actions_total", "Lifecycle actions carried out, by kind.", prometheus.Labels{"action": k.String()},
			func(t lifecycle.Totals) int64 { return t.Actions(k) }))
	}
	m.reg.MustRegister(cs...)
}
