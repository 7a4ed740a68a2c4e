package adminapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
)

// The audit trail of admin requests; the package doc says what is written
// when.

const (
	// maxAuditField caps a client-controlled value (path, query, claimed
	// access key, error text) in an entry, so a request cannot make its
	// entry large.
	maxAuditField = 256
	// maxAuditPolicyDoc caps the policy document copied into an
	// AdminAttachUserPolicy intent entry. Its SHA-256 is always complete.
	maxAuditPolicyDoc = 4096
)

// Outcomes in admin audit entries besides engine's "ok", "denied" and
// "error".
const outcomeIntent = "intent"

// ErrAuditUnavailable is returned (503 AuditUnavailable) when the audit
// stream did not take a request's entry.
var ErrAuditUnavailable = errors.New("adminapi: audit stream unavailable")

// adminRequest is one request's audit state. Handlers add result details
// with note.
type adminRequest struct {
	id  string
	r   *http.Request
	row *opRow // nil for unrouted requests
	// g is the gate the request goes through and sc its audit scope; nil
	// while no engine is attached (recovery, shutdown).
	g  *gate.Gate
	sc *gate.Scope
	// authenticated is set once the signature verified.
	authenticated bool
	body          []byte
	target        string // target detail without the policy document
	doc           string // the (truncated) policy document detail, intent only
	intentSeq     uint64
	// err is the error answered, if any.
	err error
	// notes are result details added by the handler (guarded by the
	// handler's happens-before with its first response write).
	notes []string
	// resultDone is set once the result entry was attempted.
	resultDone bool
}

// setCaller records the authenticated caller in the audit scope.
func (rq *adminRequest) setCaller(c gate.Caller) {
	rq.authenticated = true
	if rq.sc != nil {
		rq.sc.SetCaller(c)
	}
}

// adminRequestKey is the context key of a request's *adminRequest.
type adminRequestKey struct{}

// note adds key=value to the result entry of the request in ctx. It must be
// called before the handler starts its response.
func note(ctx context.Context, key, value string) {
	if rq, ok := ctx.Value(adminRequestKey{}).(*adminRequest); ok {
		rq.notes = append(rq.notes, kv(key, value))
	}
}

// skipAudit drops the result entry of the request in ctx (see auditEntries).
// It must be called before the handler starts its response.
func skipAudit(ctx context.Context) {
	if rq, ok := ctx.Value(adminRequestKey{}).(*adminRequest); ok && rq.intentSeq == 0 {
		rq.resultDone = true
	}
}

// opReadAudit is the operation name of GET audit.
const opReadAudit = "AdminReadAudit"

func (rq *adminRequest) operation() string {
	if rq.row != nil {
		return rq.row.Name
	}
	return "AdminRequest"
}

// deny answers a refused request (authentication or authorisation) after
// writing its "denied" entry through the gate (which bounds the entries of
// unauthenticated refusals per source).
func (a *API) deny(w http.ResponseWriter, rq *adminRequest, err error) {
	code, status := adminErrorOf(err)
	parts := []string{}
	if rq.row != nil {
		parts = append(parts, kv("action", rq.row.Action), targetDetail(rq.r, nil))
	} else {
		parts = append(parts, kv("method", truncate(rq.r.Method, 16)), kv("path", truncate(rq.r.URL.Path, maxAuditField)))
	}
	if !rq.authenticated {
		if ak := claimedAccessKey(rq.r); ak != "" {
			parts = append(parts, kv("claimed_key", truncate(ak, 128)))
		}
	}
	parts = append(parts, kv("code", code), kv("reason", truncate(err.Error(), maxAuditField)))
	if rq.sc == nil {
		// Recovery: no stream to write to; refusing is safe.
		a.log.Warn("admin: denied request not audited (no engine attached)", "request_id", rq.id,
			"operation", rq.operation(), "source", remoteHost(rq.r.RemoteAddr), "code", code)
	} else if aerr := rq.sc.Finish(rq.r.Context(), gate.Result{Status: status, Err: err, Detail: joinDetail(parts...)}); aerr != nil {
		a.log.Error("admin: audit append failed for a denied request", "request_id", rq.id, "err", aerr)
		err = fmt.Errorf("%w: the request was denied (%s) and the denial could not be recorded: %v", ErrAuditUnavailable, code, aerr)
	}
	a.writeError(w, rq.r, err)
}

// recordIntent writes a mutating request's intent entry. On error nothing
// may change.
func (a *API) recordIntent(rq *adminRequest) error {
	if rq.sc == nil {
		return errNotReady
	}
	got, err := rq.sc.Intent(rq.r.Context(), engine.AuditEntry{Outcome: outcomeIntent, Detail: joinDetail(rq.target, rq.doc)})
	if err != nil {
		return fmt.Errorf("%w: nothing was changed: %v", ErrAuditUnavailable, err)
	}
	rq.intentSeq = got.Seq
	return nil
}

// recordResult writes an audited request's result entry for status (0: no
// response was sent) through the request's gate scope.
func (a *API) recordResult(rq *adminRequest, status int) error {
	rq.resultDone = true
	if rq.sc == nil {
		return errNotReady
	}
	parts := append([]string{rq.target}, rq.notes...)
	if rq.intentSeq > 0 {
		parts = append(parts, kv("intent_seq", strconv.FormatUint(rq.intentSeq, 10)))
	}
	if rq.err != nil {
		code, _ := adminErrorOf(rq.err)
		parts = append(parts, kv("code", code), kv("error", truncate(rq.err.Error(), maxAuditField)))
	}
	return rq.sc.Finish(rq.r.Context(), gate.Result{Status: status, Err: rq.err, Detail: joinDetail(parts...)})
}

// auditedWriter writes the request's result entry when the response
// starts, and answers 503 instead if it cannot be written.
type auditedWriter struct {
	http.ResponseWriter
	a       *API
	rq      *adminRequest
	started bool
	failed  bool // the result entry failed; the handler's answer is dropped
}

func (w *auditedWriter) WriteHeader(status int) {
	if w.started {
		if !w.failed {
			w.ResponseWriter.WriteHeader(status)
		}
		return
	}
	w.started = true
	if w.rq.resultDone {
		w.ResponseWriter.WriteHeader(status)
		return
	}
	err := w.a.recordResult(w.rq, status)
	if err == nil || (errors.Is(err, errNotReady) && status >= 400) {
		// (Without an engine nothing was served: the error stands.)
		w.ResponseWriter.WriteHeader(status)
		return
	}
	w.failed = true
	w.a.log.Error("admin: audit append failed; answer replaced by 503", "request_id", w.rq.id,
		"operation", w.rq.operation(), "status", status, "err", err)
	var msg string
	switch {
	case w.rq.intentSeq > 0 && status < 300:
		msg = fmt.Sprintf("the change was applied (audit intent entry %d) but its outcome could not be recorded: %v", w.rq.intentSeq, err)
	case w.rq.intentSeq > 0:
		msg = fmt.Sprintf("the request failed (status %d; audit intent entry %d) and its outcome could not be recorded: %v", status, w.rq.intentSeq, err)
	default:
		msg = fmt.Sprintf("the request could not be recorded in the audit stream, so it is not served: %v", err)
	}
	h := w.ResponseWriter.Header()
	for k := range h {
		if k != "X-Request-Id" {
			delete(h, k)
		}
	}
	writeAdminJSON(w.ResponseWriter, http.StatusServiceUnavailable, ErrorBody{Message: msg, Code: "AuditUnavailable"})
}

func (w *auditedWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	if w.failed {
		return 0, ErrAuditUnavailable
	}
	return w.ResponseWriter.Write(p)
}

// Flush forwards to the underlying writer when it can flush.
func (w *auditedWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok && !w.failed {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *auditedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// targetDetail describes what r acts on: the path values and the query.
// body, if not nil, is a policy document: its size and SHA-256 are added.
func targetDetail(r *http.Request, body []byte) string {
	var parts []string
	for _, name := range []string{"user", "key", "policy"} {
		if v := r.PathValue(name); v != "" {
			if name == "key" {
				name = "access_key"
			}
			parts = append(parts, kv(name, truncate(v, maxAuditField)))
		}
	}
	if body != nil {
		sum := sha256.Sum256(body)
		parts = append(parts, kv("sha256", hex.EncodeToString(sum[:])), kv("size", strconv.Itoa(len(body))))
	}
	q := r.URL.Query()
	for name := range q {
		if strings.HasPrefix(strings.ToLower(name), "x-amz-") {
			q.Del(name) // presigned-URL authentication
		}
	}
	if len(q) > 0 {
		parts = append(parts, kv("query", truncate(q.Encode(), maxAuditField)))
	}
	return joinDetail(parts...)
}

// docDetail is the policy document part of an intent entry, truncated to
// maxAuditPolicyDoc bytes.
func docDetail(body []byte) string {
	if body == nil {
		return ""
	}
	d := kv("doc", truncate(string(body), maxAuditPolicyDoc))
	if len(body) > maxAuditPolicyDoc {
		d += " doc_truncated=true"
	}
	return d
}

// kv formats one detail field, quoting the value unless it is a plain
// token.
func kv(key, value string) string {
	plain := value != ""
	for _, c := range value {
		if c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		return key + "=" + value
	}
	return key + "=" + strconv.Quote(value)
}

func joinDetail(parts ...string) string {
	out := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// claimedAccessKey is the access key a request claims (Authorization
// header or presigned query), for the audit entry of a request that failed
// authentication.
func claimedAccessKey(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if h := r.Header.Get("Authorization"); h != "" {
		if _, after, ok := strings.Cut(h, "Credential="); ok {
			cred = after
		}
	}
	ak, _, _ := strings.Cut(cred, "/")
	return strings.TrimSpace(ak)
}

func remoteHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}
