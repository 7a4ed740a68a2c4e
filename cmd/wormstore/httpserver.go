package main

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// httpLimits bound what a client can hold on a listener: how long it may
// take to send its headers, to go silent mid-body, to sit idle between
// requests, and how many connections it may have open at once.
type httpLimits struct {
	// ReadHeaderTimeout bounds the TLS handshake and the request line and
	// headers. Zero means none.
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes a keep-alive connection with no request for this
	// long. Zero means none.
	IdleTimeout time.Duration
	// BodyIdleTimeout bounds every wait for request body bytes: each read
	// of the body must receive something within it, so a slow but moving
	// upload of any size is never cut, a stalled one is. Zero means none.
	BodyIdleTimeout time.Duration
	// MaxConns caps the connections served at once; further ones wait in
	// the kernel's accept queue. Zero means no cap.
	MaxConns int
}

// limits returns the S3 listener's limits from the flags.
func (c *serverCmd) limits() httpLimits {
	return httpLimits{
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		IdleTimeout:       c.IdleTimeout,
		BodyIdleTimeout:   c.BodyIdleTimeout,
		MaxConns:          c.MaxConnections,
	}
}

// consoleLimits returns the console listener's limits from the flags.
func (c *serverCmd) consoleLimits() httpLimits {
	l := c.limits()
	l.MaxConns = c.ConsoleMaxConnections
	return l
}

// newHTTPServer returns an http.Server for h with the timeouts of l.
// There is deliberately no ReadTimeout or WriteTimeout: both would cut a
// large transfer on a slow link however steadily it moves.
func newHTTPServer(h http.Handler, l httpLimits, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           bodyIdleTimeout(h, l.BodyIdleTimeout),
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		IdleTimeout:       l.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// limitListener caps ln at l.MaxConns simultaneous connections.
func limitListener(ln net.Listener, l httpLimits) net.Listener {
	if l.MaxConns <= 0 {
		return ln
	}
	return netutil.LimitListener(ln, l.MaxConns)
}

// bodyIdleTimeout wraps h so that the request body is read under a
// per-read deadline of d (http.ResponseController.SetReadDeadline),
// renewed before every read: a client that stops sending mid-body gets
// its read failed after d (s3api answers 400 RequestTimeout) and the
// connection closed. The deadline also bounds the drain net/http does
// after a handler that answered without reading the body: it is set when
// the request arrives, so a declared but never sent body (an anonymous
// PUT answered 403) holds the connection for d at most. Once the body has
// been read to its end the deadline is cleared, so the background read
// net/http then starts cannot time out while the handler still works.
func bodyIdleTimeout(h http.Handler, d time.Duration) http.Handler {
	if d <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			h.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now().Add(d)); err != nil {
			// The connection does not support deadlines.
			h.ServeHTTP(w, r)
			return
		}
		// On a copy: net/http decides by the type of its own
		// Request.Body whether to send "100 Continue" and how to drain.
		r2 := *r
		r2.Body = &idleBody{rc: r.Body, ctl: rc, d: d}
		h.ServeHTTP(w, &r2)
	})
}

// idleBody renews the read deadline before each read of rc. It is used by
// one handler goroutine, like any request body.
type idleBody struct {
	rc   io.ReadCloser
	ctl  *http.ResponseController
	d    time.Duration
	done bool // rc returned an error or EOF; deadlines are no longer ours
}

func (b *idleBody) Read(p []byte) (int, error) {
	if b.done {
		return b.rc.Read(p)
	}
	_ = b.ctl.SetReadDeadline(time.Now().Add(b.d))
	n, err := b.rc.Read(p)
	if err != nil {
		b.done = true
		if err == io.EOF {
			_ = b.ctl.SetReadDeadline(time.Time{})
		}
	}
	return n, err
}

func (b *idleBody) Close() error { return b.rc.Close() }
