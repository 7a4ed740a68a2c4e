package adminapi

// Audit endpoints of the admin API (see doc.go for authentication, errors
// and audit):
//
//	GET /admin/v1/audit             NDJSON (application/x-ndjson), one engine.AuditEntry per line, oldest first
//	    ?from=SEQ                   first sequence number (default 1)
//	    &limit=N                    at most N entries (default and maximum AuditPageMax)
//	    &last=N                     instead of from: the newest N entries (1..AuditPageMax)
//	GET /admin/v1/audit/verify      AuditReport
//
// A page shorter than its limit is the end of the stream as of the request;
// a client pages on with from = last Seq + 1. The audit stream is
// append-only: there is deliberately no endpoint that deletes or rewrites it.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/wormstore/wormstore/engine"
)

// AuditPageMax is the default and largest page of GET audit. A page is
// collected while the engine is held and written afterwards, so it bounds
// the memory of one request.
const AuditPageMax = 10000

// AuditReport is engine.AuditReport on the wire.
type AuditReport struct {
	OK       bool     `json:"ok"`
	Entries  uint64   `json:"entries"`
	Head     string   `json:"head"`
	Problems []string `json:"problems"`
}

// errAuditPageFull ends an AuditEntries scan once a page is full.
var errAuditPageFull = errors.New("audit page full")

// auditQuery is the parsed query of GET audit.
type auditQuery struct {
	from  uint64
	limit int
	last  int // 0 = use from
}

func parseAuditQuery(r *http.Request) (auditQuery, error) {
	q := auditQuery{from: 1, limit: AuditPageMax}
	count := func(name, v string) (int, error) {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > AuditPageMax {
			return 0, &StatusError{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("%s %q is not a number from 1 to %d", name, v, AuditPageMax)}
		}
		return n, nil
	}
	var fromSet bool
	for name, vals := range r.URL.Query() {
		v := vals[len(vals)-1]
		var err error
		switch {
		case name == "from":
			q.from, err = strconv.ParseUint(v, 10, 64)
			if err != nil {
				return q, &StatusError{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("from %q is not a sequence number", v)}
			}
			fromSet = true
		case name == "limit":
			q.limit, err = count(name, v)
		case name == "last":
			q.last, err = count(name, v)
		case strings.HasPrefix(strings.ToLower(name), "x-amz-"):
			// Presigned-URL authentication.
		default:
			return q, &StatusError{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("unknown parameter %q (want from, limit, last)", name)}
		}
		if err != nil {
			return q, err
		}
	}
	if fromSet && q.last > 0 {
		return q, &StatusError{http.StatusBadRequest, "InvalidArgument", "from and last exclude each other"}
	}
	return q, nil
}

// auditEntries answers one page of the audit stream as NDJSON.
func (a *API) auditEntries(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	q, err := parseAuditQuery(r)
	if err != nil {
		return err
	}
	var page []engine.AuditEntry
	err = a.withEngine(func(eng *engine.Engine) error {
		if q.last > 0 {
			// The newest entries: keep a ring of the last q.last.
			ring := make([]engine.AuditEntry, 0, q.last)
			next := 0
			err := eng.AuditEntries(ctx, 1, func(e engine.AuditEntry) error {
				if len(ring) < q.last {
					ring = append(ring, e)
				} else {
					ring[next] = e
					next = (next + 1) % q.last
				}
				return nil
			})
			page = append(ring[next:], ring[:next]...)
			return err
		}
		err := eng.AuditEntries(ctx, q.from, func(e engine.AuditEntry) error {
			page = append(page, e)
			if len(page) == q.limit {
				return errAuditPageFull
			}
			return nil
		})
		if errors.Is(err, errAuditPageFull) {
			err = nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("read audit stream: %w", err)
	}
	if !slices.ContainsFunc(page, func(e engine.AuditEntry) bool { return e.Operation != opReadAudit }) {
		// A page of nothing but audit-read entries (a `tail --follow`
		// poll finding its own last read) is not recorded again, or
		// every poll would append an entry for the next one to find.
		skipAudit(ctx)
	}
	note(ctx, "entries", strconv.Itoa(len(page)))
	if len(page) > 0 {
		note(ctx, "first_seq", strconv.FormatUint(page[0].Seq, 10))
		note(ctx, "last_seq", strconv.FormatUint(page[len(page)-1].Seq, 10))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range page {
		if err := enc.Encode(&page[i]); err != nil {
			return fmt.Errorf("encode audit entry %d: %w", page[i].Seq, err)
		}
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
	return nil
}

// auditVerify checks the audit chain end to end.
func (a *API) auditVerify(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var rep *engine.AuditReport
	err := a.withEngine(func(eng *engine.Engine) (err error) {
		rep, err = eng.VerifyAudit(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("verify audit stream: %w", err)
	}
	out := AuditReport{OK: rep.OK(), Entries: rep.Entries, Head: rep.Head, Problems: rep.Problems}
	note(ctx, "chain_ok", strconv.FormatBool(out.OK))
	note(ctx, "entries", strconv.FormatUint(out.Entries, 10))
	if out.Problems == nil {
		out.Problems = []string{}
	}
	writeAdminJSON(w, http.StatusOK, out)
	return nil
}
