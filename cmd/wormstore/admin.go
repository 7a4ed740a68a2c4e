package main

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/wormstore/wormstore/adminapi"
	"github.com/wormstore/wormstore/engine"
)

// metrics are the server's Prometheus metrics, on their own registry.
type metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	bytesIn    prometheus.Counter
	bytesOut   prometheus.Counter
	ops        *prometheus.CounterVec
	opLatency  *prometheus.HistogramVec
	lockOps    *prometheus.CounterVec
	walSync    prometheus.Histogram
	walBatch   prometheus.Histogram
	engineStat *statsCache
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wormstore_s3_requests_total", Help: "S3 requests by HTTP method and status code.",
	}, []string{"method", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "wormstore_s3_request_duration_seconds", Help: "S3 request latency (to the last byte).",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"method"})
	m.ops = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wormstore_s3_operations_total", Help: "S3 requests by operation and HTTP status.",
	}, []string{"operation", "status"})
	m.opLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "wormstore_s3_operation_duration_seconds", Help: "S3 request latency by operation.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"operation"})
	m.lockOps = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wormstore_lock_operations_total", Help: "Object Lock operations (retention, legal hold, lock configuration) by outcome: ok, denied, error.",
	}, []string{"operation", "outcome"})
	m.bytesIn = prometheus.NewCounter(prometheus.CounterOpts{Name: "wormstore_s3_received_bytes_total", Help: "Request body bytes read."})
	m.bytesOut = prometheus.NewCounter(prometheus.CounterOpts{Name: "wormstore_s3_sent_bytes_total", Help: "Response body bytes written."})
	m.walSync = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "wormstore_wal_fsync_duration_seconds", Help: "WAL group-commit fsync latency.",
		Buckets: prometheus.ExponentialBuckets(0.00005, 2, 16),
	})
	m.walBatch = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "wormstore_wal_group_commit_records", Help: "Records made durable per WAL fsync.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 12),
	})
	m.reg.MustRegister(m.ops, m.opLatency, m.lockOps, m.requests, m.latency, m.bytesIn, m.bytesOut, m.walSync, m.walBatch,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observeS3 is s3api's Observe hook: requests by operation, and lock
// operations and denials.
func (m *metrics) observeS3(op string, status int, d time.Duration) {
	if op == "" {
		op = "unrouted"
	}
	m.ops.WithLabelValues(op, strconv.Itoa(status)).Inc()
	m.opLatency.WithLabelValues(op).Observe(d.Seconds())
	lockOp := strings.Contains(op, "Retention") || strings.Contains(op, "LegalHold") || strings.Contains(op, "ObjectLock")
	if lockOp || status == http.StatusForbidden {
		outcome := "ok"
		switch {
		case status == http.StatusForbidden:
			outcome = "denied"
		case status >= 300:
			outcome = "error"
		}
		m.lockOps.WithLabelValues(op, outcome).Inc()
	}
}

// observeWALSync is the engine's OnWALSync hook.
func (m *metrics) observeWALSync(d time.Duration, records int) {
	m.walSync.Observe(d.Seconds())
	if records > 0 {
		m.walBatch.Observe(float64(records))
	}
}

// statsCache serves engine.Stats (an index scan) at most every maxAge.
type statsCache struct {
	eng    *engine.Engine
	maxAge time.Duration
	mu     sync.Mutex
	at     time.Time     // guarded by mu
	last   *engine.Stats // guarded by mu
}

func (c *statsCache) get() *engine.Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil || time.Since(c.at) > c.maxAge {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if st, err := c.eng.Stats(ctx); err == nil {
			c.last, c.at = st, time.Now()
		}
	}
	if c.last == nil {
		return &engine.Stats{}
	}
	return c.last
}

// registerEngine adds gauges read from the engine's statistics.
func (m *metrics) registerEngine(eng *engine.Engine) {
	c := &statsCache{eng: eng, maxAge: 15 * time.Second}
	m.engineStat = c
	gauge := func(name, help string, f func(*engine.Stats) float64) {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return f(c.get()) }))
	}
	gauge("wormstore_segments", "Segment files (sealed and active).", func(s *engine.Stats) float64 { return float64(s.Segments) })
	gauge("wormstore_segments_sealed", "Sealed segment files.", func(s *engine.Stats) float64 { return float64(s.SealedSegments) })
	gauge("wormstore_bytes_live", "Stored bytes referenced by versions and parts.", func(s *engine.Stats) float64 { return float64(s.LiveBytes) })
	gauge("wormstore_bytes_garbage", "Stored bytes reclaimable by compaction.", func(s *engine.Stats) float64 { return float64(s.GarbageBytes) })
	gauge("wormstore_bytes_locked", "Live bytes of versions under retention or legal hold now.", func(s *engine.Stats) float64 { return float64(s.LockedBytes) })
	gauge("wormstore_versions", "Object versions (excluding delete markers).", func(s *engine.Stats) float64 { return float64(s.Versions) })
	gauge("wormstore_versions_locked", "Versions under retention or legal hold now.", func(s *engine.Stats) float64 { return float64(s.LockedVersions) })
	gauge("wormstore_compaction_running", "1 while a compaction runs.", func(s *engine.Stats) float64 {
		if s.CompactionRunning {
			return 1
		}
		return 0
	})
	gauge("wormstore_compaction_copied_bytes", "Bytes copied by compaction since start.", func(s *engine.Stats) float64 { return float64(s.CompactedBytes) })
	gauge("wormstore_compaction_removed_segments", "Segments removed by compaction since start.", func(s *engine.Stats) float64 { return float64(s.CompactedSegments) })
}

// instrument wraps the S3 handler to count requests, status, bytes and latency.
func (m *metrics) instrument(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &recordingWriter{ResponseWriter: w, status: http.StatusOK}
		body := &countingBody{ReadCloser: r.Body}
		if r.Body != nil {
			// On a copy: net/http decides by the type of its own
			// Request.Body whether a client waits for "100 Continue"
			// and whether an unread body must be drained before the
			// response goes out. Replacing it there made every early
			// error (403 to an anonymous PUT) wait for the body.
			r2 := *r
			r2.Body = body
			r = &r2
		}
		h.ServeHTTP(rw, r)
		m.requests.WithLabelValues(r.Method, strconv.Itoa(rw.status)).Inc()
		m.latency.WithLabelValues(r.Method).Observe(time.Since(start).Seconds())
		m.bytesIn.Add(float64(body.n.Load()))
		m.bytesOut.Add(float64(rw.n))
	})
}

type recordingWriter struct {
	http.ResponseWriter
	status int
	n      int64
	wrote  bool
}

func (w *recordingWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.wrote = true
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer (flush,
// deadlines, 100-continue handling).
func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush forwards to the underlying writer when it can flush.
func (w *recordingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

type countingBody struct {
	io.ReadCloser
	n atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// adminHandler serves /health/live, /health/ready, /metrics and, if api is
// not nil, the admin API under /admin/v1/.
func adminHandler(m *metrics, ready *atomic.Bool, api *adminapi.API) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health/live", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /health/ready", func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			http.Error(w, "recovering", http.StatusServiceUnavailable)
			return
		}
		if api != nil {
			if err := api.EngineErr(); err != nil {
				// Writes are refused until a restart recovers the last
				// durable state; tell the orchestrator.
				http.Error(w, "failed: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		body := "ready\n"
		if api != nil {
			body += api.ReadyWarnings() // reads and writes still work: stays 200
		}
		w.Write([]byte(body))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	if api != nil {
		mux.Handle(adminapi.Prefix, api)
	}
	return mux
}
