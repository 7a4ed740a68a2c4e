package console

import (
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Cookie names.
const (
	sessionCookie = "wormstore_session"
	signinCookie  = "wormstore_signin" // double-submit CSRF token of the sign-in form
)

// Config configures the console. Engine and Credentials are required;
// every other zero field means the default documented on it.
type Config struct {
	Engine *engine.Engine
	// Credentials resolves an access key to its secret at sign-in.
	Credentials sigv4.CredentialStore
	// Principals tells who an access key is and which policies apply to
	// it; every console action is then authorised like the same S3 call.
	// Nil means every signed-in key is root.
	Principals PrincipalStore
	// Logger receives console logs. Default: discard.
	Logger *slog.Logger
	// Clock returns the current time for sessions and rate limits (not for
	// retention, which the engine judges). Default time.Now.
	Clock func() time.Time
	// Secure marks cookies Secure; set it when the console is served over
	// TLS.
	Secure bool
	// IdleTimeout ends a session not used for this long. Default 12 h.
	IdleTimeout time.Duration
	// MaxAge ends a session this long after sign-in. Default 7 days.
	MaxAge time.Duration
	// MaxFailures is the number of failed sign-ins per client IP and
	// minute after which sign-in answers 429. Default 5.
	MaxFailures int
	// Gate is the door shared with the S3 API and the admin API:
	// authorization on the engine's clock and the audit writer. Nil means
	// New creates one for Engine with gate defaults.
	Gate *gate.Gate
}

// principal is who a session acts as.
type principal struct {
	AccessKey string
	Root      bool
	User      string // "" for root
}

type session struct {
	id       string
	csrf     string
	who      principal
	created  time.Time
	lastSeen time.Time
	flash    string // one message shown on the next page
}

// Console serves the web console. Create it with New.
type Console struct {
	cfg   Config
	eng   *engine.Engine
	log   *slog.Logger
	pages map[string]*template.Template
	mux   *http.ServeMux

	gate *gate.Gate

	mu       sync.Mutex
	sessions map[string]*session    // guarded by mu
	failures map[string][]time.Time // client IP → recent failed sign-ins; guarded by mu
}

// New returns the console's HTTP handler.
func New(cfg Config) (http.Handler, error) {
	c, err := newConsole(cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func newConsole(cfg Config) (*Console, error) {
	if cfg.Engine == nil {
		return nil, errors.New("console: Config.Engine is required")
	}
	if cfg.Credentials == nil {
		return nil, errors.New("console: Config.Credentials is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 12 * time.Hour
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 7 * 24 * time.Hour
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}
	if cfg.Gate == nil {
		g, err := gate.New(gate.Config{Engine: cfg.Engine, Logger: cfg.Logger})
		if err != nil {
			return nil, err
		}
		cfg.Gate = g
	}
	c := &Console{
		cfg: cfg, eng: cfg.Engine, log: cfg.Logger, gate: cfg.Gate,
		sessions: map[string]*session{},
		failures: map[string][]time.Time{},
	}
	if err := c.parseTemplates(); err != nil {
		return nil, err
	}
	c.routes()
	return c, nil
}

func (c *Console) parseTemplates() error {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	c.pages = map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return fmt.Errorf("console: template %s: %w", n, err)
		}
		c.pages[base] = t
	}
	return nil
}

func (c *Console) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /signin", c.signinPage)
	m.HandleFunc("POST /signin", c.signin)
	m.HandleFunc("POST /signout", c.signout)

	m.HandleFunc("GET /{$}", c.auth(c.overview))
	m.HandleFunc("GET /buckets", c.auth(c.bucketsPage))
	m.HandleFunc("POST /buckets", c.auth(c.createBucket))
	m.HandleFunc("GET /buckets/{bucket}", c.auth(c.objectsPage))
	m.HandleFunc("GET /buckets/{bucket}/versions", c.auth(c.versionsPage))
	m.HandleFunc("GET /buckets/{bucket}/manage", c.auth(c.managePage))
	m.HandleFunc("POST /buckets/{bucket}/manage", c.auth(c.setDefaultRetention))
	m.HandleFunc("GET /buckets/{bucket}/object", c.auth(c.objectPage))
	m.HandleFunc("GET /buckets/{bucket}/download", c.auth(c.download))
	m.HandleFunc("POST /buckets/{bucket}/delete", c.auth(c.deleteObject))
	m.HandleFunc("POST /buckets/{bucket}/retention", c.auth(c.setRetention))
	m.HandleFunc("POST /buckets/{bucket}/legal-hold", c.auth(c.setLegalHold))
	m.HandleFunc("POST /buckets/{bucket}/upload", c.auth(c.upload))
	m.HandleFunc("POST /buckets/{bucket}/multipart", c.auth(c.mpuCreate))
	m.HandleFunc("POST /buckets/{bucket}/multipart/part", c.auth(c.mpuPart))
	m.HandleFunc("POST /buckets/{bucket}/multipart/complete", c.auth(c.mpuComplete))
	m.HandleFunc("POST /buckets/{bucket}/multipart/abort", c.auth(c.mpuAbort))
	c.mux = m
}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	c.mux.ServeHTTP(w, r)
}

func bucketARN(b string) string     { return "arn:aws:s3:::" + b }
func objectARN(b, k string) string  { return "arn:aws:s3:::" + b + "/" + k }
func randomToken() string           { b := make([]byte, 32); _, _ = rand.Read(b); return hex.EncodeToString(b) }
func equalStrings(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
func (c *Console) now() time.Time   { return c.cfg.Clock() }

// clientIP is the peer address; the console does not trust forwarding
// headers.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ctxKey carries the session through a request.
type ctxKey struct{}

// auth wraps a handler that needs a session: without one, pages redirect to
// sign-in and other requests get 401; every POST must carry the session's
// CSRF token.
func (c *Console) auth(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := c.lookupSession(r)
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/signin?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			c.fail(w, r, nil, http.StatusUnauthorized, "Your session has ended. Sign in again.")
			return
		}
		// Every request with a session goes through the gate: its audit
		// entry, if it needs one (an action, or a refusal), is written
		// before the response, and an action the engine carries out is
		// recorded by the engine itself in the same commit.
		sc := c.gate.Begin(gate.DoorConsole, newRequestID(), clientIP(r))
		sc.SetCaller(*c.caller(r, s.who))
		sc.SetOp(consoleOp(r))
		r = r.WithContext(sc.Context(r.Context()))
		rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		rw.before = func(status int) error {
			sc.SetTarget(r.PathValue("bucket"), formKey(r), requestVersion(r))
			err := sc.Finish(r.Context(), gate.Result{Status: status, Err: rw.err})
			if err != nil && status >= 500 {
				// Already a failure and nothing was done: keep its page.
				c.log.Error("console: audit append failed", "err", err)
				return nil
			}
			return err
		}
		if r.Method == http.MethodPost {
			tok := r.Header.Get("X-CSRF-Token")
			if tok == "" {
				ct := r.Header.Get("Content-Type")
				switch {
				case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
					r.Body = http.MaxBytesReader(rw, r.Body, 1<<20)
					tok = r.PostFormValue("csrf")
				case strings.HasPrefix(ct, "multipart/form-data"):
					// The script-less upload form streams its file, so
					// its token travels in the form's action URL.
					tok = r.URL.Query().Get("csrf")
				}
			}
			if tok == "" || !equalStrings(tok, s.csrf) {
				c.fail(rw, r, s, http.StatusForbidden, "This form has expired or did not come from the console (CSRF check failed). Reload the page and try again.")
				return
			}
		}
		h(rw, r, s)
		if !rw.wrote {
			// net/http answers 200 once we return: audit first.
			rw.WriteHeader(http.StatusOK)
		}
	}
}

// consoleOps names console actions by the S3 operation they perform, so
// both doors write the same operation names (and the gate's table row
// applies). Pages that only show things are "console:Read": audited only
// when refused.
func consoleOp(r *http.Request) string {
	switch r.Pattern {
	case "POST /buckets":
		return "CreateBucket"
	case "POST /buckets/{bucket}/manage":
		return "PutObjectLockConfiguration"
	case "POST /buckets/{bucket}/delete":
		return "DeleteObject"
	case "POST /buckets/{bucket}/retention":
		return "PutObjectRetention"
	case "POST /buckets/{bucket}/legal-hold":
		return "PutObjectLegalHold"
	case "POST /buckets/{bucket}/upload":
		return "PutObject"
	case "POST /buckets/{bucket}/multipart":
		return "CreateMultipartUpload"
	case "POST /buckets/{bucket}/multipart/part":
		return "UploadPart"
	case "POST /buckets/{bucket}/multipart/complete":
		return "CompleteMultipartUpload"
	case "POST /buckets/{bucket}/multipart/abort":
		return "AbortMultipartUpload"
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return gate.OpConsoleRead
	}
	return "console " + r.Pattern
}

// formKey is the object key a console request names, without reading a
// body the handler did not parse.
func formKey(r *http.Request) string {
	if r.PostForm != nil {
		if k := r.PostForm.Get("key"); k != "" {
			return k
		}
	}
	return r.URL.Query().Get("key")
}

// errAuditReplaced is returned to a handler writing after its response was
// replaced because its audit entry could not be written.
var errAuditReplaced = errors.New("console: response replaced: the audit entry could not be written")

// statusWriter records the status a handler answered with and runs the
// audit (before) just before the status line goes out; when that fails the
// response becomes a 503 and the handler's own output is dropped.
type statusWriter struct {
	http.ResponseWriter
	status  int
	wrote   bool
	err     error // the error the handler answered, for the audit entry
	before  func(status int) error
	dropped bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.dropped {
		return
	}
	if !w.wrote {
		w.wrote = true
		if w.before != nil {
			if err := w.before(code); err != nil {
				w.dropped, w.status = true, http.StatusServiceUnavailable
				h := w.Header()
				for _, k := range []string{"Location", "Content-Length", "Content-Disposition", "Content-Type", "Etag", "Last-Modified"} {
					h.Del(k)
				}
				h.Set("Content-Type", "text/plain; charset=utf-8")
				w.ResponseWriter.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w.ResponseWriter, "This action could not be recorded in the audit log, so it was not carried out. The server needs attention.\n")
				return
			}
		}
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.dropped {
		return 0, errAuditReplaced
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (c *Console) lookupSession(r *http.Request) *session {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sessions[ck.Value]
	if s == nil {
		return nil
	}
	if now.Sub(s.lastSeen) > c.cfg.IdleTimeout || now.Sub(s.created) > c.cfg.MaxAge {
		delete(c.sessions, s.id)
		return nil
	}
	s.lastSeen = now
	cp := *s
	return &cp
}

func (c *Console) newSession(who principal) *session {
	now := c.now()
	s := &session{id: randomToken(), csrf: randomToken(), who: who, created: now, lastSeen: now}
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, o := range c.sessions {
		if now.Sub(o.lastSeen) > c.cfg.IdleTimeout || now.Sub(o.created) > c.cfg.MaxAge {
			delete(c.sessions, id)
		}
	}
	c.sessions[s.id] = s
	return s
}

// tooManyFailures reports whether ip has reached the failure limit within
// the last minute, pruning old entries.
func (c *Console) tooManyFailures(ip string) bool {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	recent := c.failures[ip][:0]
	for _, t := range c.failures[ip] {
		if now.Sub(t) < time.Minute {
			recent = append(recent, t)
		}
	}
	if len(recent) == 0 {
		delete(c.failures, ip)
		return false
	}
	c.failures[ip] = recent
	return len(recent) >= c.cfg.MaxFailures
}

func (c *Console) recordFailure(ip string) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.failures) > 10000 { // bound memory under a spray of addresses
		for k, ts := range c.failures {
			if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= time.Minute {
				delete(c.failures, k)
			}
		}
	}
	c.failures[ip] = append(c.failures[ip], now)
}

func (c *Console) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: c.cfg.Secure, SameSite: http.SameSiteStrictMode,
	})
}

func (c *Console) signinPage(w http.ResponseWriter, r *http.Request) {
	c.renderSignin(w, r, http.StatusOK, "")
}

func (c *Console) renderSignin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	tok := randomToken()
	c.setCookie(w, signinCookie, tok, 600)
	c.render(w, r, status, "signin", nil, map[string]any{
		"Title": "Sign in", "Error": msg, "SigninToken": tok, "Next": safeNext(r.FormValue("next")),
	})
}

// Sign-in refusal reasons, as the audit entry's detail names them.
const (
	reasonBadCredentials = "bad credentials"
	reasonRateLimited    = "rate limited"
	reasonCSRF           = "CSRF"
)

// maxClaimedKey bounds the access key an unauthenticated sign-in attempt
// claims, as written into its audit entry (AWS access keys are at most 128
// characters).
const maxClaimedKey = 128

// claimedKey is the access key a sign-in form claims, cut at a UTF-8
// boundary to maxClaimedKey bytes and marked when cut.
func claimedKey(ak string) string {
	if len(ak) <= maxClaimedKey {
		return ak
	}
	n := maxClaimedKey
	for n > 0 && !utf8.RuneStart(ak[n]) {
		n--
	}
	return fmt.Sprintf("%s…[truncated %d bytes]", ak[:n], len(ak)-n)
}

// newRequestID names one console request in the audit stream.
func newRequestID() string { return strings.ToUpper(randomToken()[:16]) }

// auditUnavailable answers the 503 page of a sign-in or sign-out whose
// audit entry could not be written.
func (c *Console) auditUnavailable(w http.ResponseWriter, r *http.Request, msg string, err error) {
	c.log.Error("console: audit append failed", "client", clientIP(r), "path", r.URL.Path, "err", err)
	c.fail(w, r, nil, http.StatusServiceUnavailable, msg)
}

// signin checks a sign-in form. Every attempt is an authentication
// decision and goes through the gate: a success is recorded with the
// signed-in principal, a refusal (expired form, rate limit, wrong key or
// secret) as denied with the claimed access key — never the secret — and
// shares the gate's limiter of unauthenticated refusals, so a brute-force
// run cannot fill the audit disk. The entry is written before the answer;
// if that fails, the sign-in is refused with a 503 page and no session is
// made.
func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	ip := clientIP(r)
	sc := c.gate.Begin(gate.DoorConsole, newRequestID(), ip)
	sc.SetOp(gate.OpConsoleSignIn)
	ak := strings.TrimSpace(r.PostFormValue("access_key"))
	sc.SetCaller(gate.Caller{AccessKey: claimedKey(ak), SourceIP: ip, SecureTransport: r.TLS != nil})
	refuse := func(status int, reason, msg string) {
		if err := sc.Finish(r.Context(), gate.Result{Status: status, Denied: true, Detail: "reason=" + reason}); err != nil {
			c.auditUnavailable(w, r, "This sign-in could not be recorded in the audit log, so it was refused. The server needs attention.", err)
			return
		}
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "60")
		}
		c.renderSignin(w, r, status, msg)
	}
	ck, err := r.Cookie(signinCookie)
	if err != nil || ck.Value == "" || !equalStrings(ck.Value, r.PostFormValue("csrf")) {
		refuse(http.StatusForbidden, reasonCSRF, "The sign-in form expired (or cookies are blocked). Please try again.")
		return
	}
	if c.tooManyFailures(ip) {
		c.log.Warn("console sign-in rate limited", "client", ip)
		refuse(http.StatusTooManyRequests, reasonRateLimited, "Too many failed sign-ins from your address. Wait a minute, then try again.")
		return
	}
	sk := r.PostFormValue("secret_key")
	secret, ok := c.cfg.Credentials.Lookup(ak)
	if !ok {
		secret = "\x00no such key" // compare anyway, so timing says nothing
	}
	if !equalStrings(secret, sk) || !ok || ak == "" {
		c.recordFailure(ip)
		c.log.Info("console sign-in failed", "client", ip)
		refuse(http.StatusUnauthorized, reasonBadCredentials, "Wrong access key or secret key.")
		return
	}
	who := principal{AccessKey: ak, Root: true}
	if c.cfg.Principals != nil {
		p, ok := c.cfg.Principals.Principal(ak)
		if !ok { // disabled or deleted meanwhile
			refuse(http.StatusUnauthorized, reasonBadCredentials, "Wrong access key or secret key.")
			return
		}
		who = principal{AccessKey: ak, Root: p.Root, User: p.User}
	}
	sc.SetCaller(*c.caller(r, who))
	if err := sc.Finish(r.Context(), gate.Result{Status: http.StatusSeeOther}); err != nil {
		c.auditUnavailable(w, r, "This sign-in could not be recorded in the audit log, so it was refused. The server needs attention.", err)
		return
	}
	s := c.newSession(who)
	c.setCookie(w, signinCookie, "", -1)
	c.setCookie(w, sessionCookie, s.id, 0)
	c.log.Info("console sign-in", "access_key", ak, "user", who.User, "client", ip)
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// signout ends the session. A sign-out with a session is audited (a
// refused one, failing the CSRF check, as denied); one without a session
// decides nothing and writes nothing. The session ends before its entry is
// written — ending access is always safe — and if the entry cannot be
// written the answer is a 503 page saying so.
func (c *Console) signout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	s := c.lookupSession(r)
	if s == nil {
		c.setCookie(w, sessionCookie, "", -1)
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	sc := c.gate.Begin(gate.DoorConsole, newRequestID(), clientIP(r))
	sc.SetOp(gate.OpConsoleSignOut)
	sc.SetCaller(*c.caller(r, s.who))
	if !equalStrings(r.PostFormValue("csrf"), s.csrf) {
		if err := sc.Finish(r.Context(), gate.Result{Status: http.StatusForbidden, Detail: "reason=" + reasonCSRF}); err != nil {
			c.auditUnavailable(w, r, "This sign-out could not be recorded in the audit log. The server needs attention.", err)
			return
		}
		c.fail(w, r, s, http.StatusForbidden, "This form has expired or did not come from the console (CSRF check failed). Reload the page and try again.")
		return
	}
	c.mu.Lock()
	delete(c.sessions, s.id)
	c.mu.Unlock()
	c.setCookie(w, sessionCookie, "", -1)
	if err := sc.Finish(r.Context(), gate.Result{Status: http.StatusSeeOther}); err != nil {
		c.auditUnavailable(w, r, "You are signed out, but the sign-out could not be recorded in the audit log. The server needs attention.", err)
		return
	}
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	if !sameOriginPath(next) {
		return "/"
	}
	return next
}

// sameOriginPath reports whether target, used as a redirect Location or a
// link, can only lead to a path on this site, however a browser reads it.
// Browsers drop ASCII tab, CR and LF anywhere in a URL, trim leading C0
// controls and spaces, and read a backslash as a slash, so "/\t/evil",
// "/\\evil" and " //evil" all mean "//evil", another host. Accepted are
// only targets that start with exactly one "/" followed by something other
// than "/" or "\", that hold no control character or backslash at all, and
// that still do after one more round of percent-decoding (a target that is
// decoded again on its way, "/%09/evil", "/%2F/evil", must not become one).
// Whatever is accepted parses as a bare path: no scheme, host or user.
func sameOriginPath(target string) bool {
	for _, t := range []string{target, percentDecoded(target)} {
		if len(t) == 0 || t[0] != '/' || (len(t) > 1 && (t[1] == '/' || t[1] == '\\')) {
			return false
		}
		for i := 0; i < len(t); i++ {
			if c := t[i]; c < 0x20 || c == 0x7f || c == '\\' {
				return false
			}
		}
	}
	u, err := url.Parse(target)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && u.Opaque == ""
}

// percentDecoded is s with %XX escapes decoded once; invalid escapes are
// kept as they are.
func percentDecoded(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// render executes a page template inside the layout.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page string, s *session, data map[string]any) {
	t := c.pages[page]
	if t == nil {
		panic("console: no template " + page)
	}
	if data == nil {
		data = map[string]any{}
	}
	if s != nil {
		data["CSRF"] = s.csrf
		data["User"] = s.who.AccessKey
		if s.who.User != "" {
			data["User"] = s.who.User + " (" + s.who.AccessKey + ")"
		}
	}
	data["Path"] = r.URL.Path
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := t.Execute(w, data); err != nil {
		c.log.Error("console template", "page", page, "err", err)
	}
}

// fail answers with an error in words: JSON for script requests, a page
// otherwise.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) {
	if wantsJSON(r) {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	c.render(w, r, status, "error", s, map[string]any{"Title": http.StatusText(status), "Error": msg, "Back": r.Referer()})
}
