package main

// Audit endpoints of the admin API (see adminapi.go for authentication and
// errors):
//
//	GET /admin/v1/audit             NDJSON (application/x-ndjson), one engine.AuditEntry per line, oldest first
//	    ?from=SEQ                   first sequence number (default 1)
//	    &limit=N                    at most N entries (default and maximum auditPageMax)
//	    &last=N                     instead of from: the newest N entries (1..auditPageMax)
//	GET /admin/v1/audit/verify      apiAuditReport
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
	"strconv"
	"strings"

	"github.com/wormstore/wormstore/engine"
)

// auditPageMax is the default and largest page of GET audit. A page is
// collected while the engine is held and written afterwards, so it bounds
// the memory of one request.
const auditPageMax = 10000

// apiAuditReport is engine.AuditReport on the wire.
type apiAuditReport struct {
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
	q := auditQuery{from: 1, limit: auditPageMax}
	count := func(name, v string) (int, error) {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > auditPageMax {
			return 0, &adminError{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("%s %q is not a number from 1 to %d", name, v, auditPageMax)}
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
				return q, &adminError{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("from %q is not a sequence number", v)}
			}
			fromSet = true
		case name == "limit":
			q.limit, err = count(name, v)
		case name == "last":
			q.last, err = count(name, v)
		case strings.HasPrefix(strings.ToLower(name), "x-amz-"):
			// Presigned-URL authentication.
		default:
			return q, &adminError{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("unknown parameter %q (want from, limit, last)", name)}
		}
		if err != nil {
			return q, err
		}
	}
	if fromSet && q.last > 0 {
		return q, &adminError{http.StatusBadRequest, "InvalidArgument", "from and last exclude each other"}
	}
	return q, nil
}

// auditEntries answers one page of the audit stream as NDJSON.
func (a *adminAPI) auditEntries(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
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
func (a *adminAPI) auditVerify(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var rep *engine.AuditReport
	err := a.withEngine(func(eng *engine.Engine) (err error) {
		rep, err = eng.VerifyAudit(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("verify audit stream: %w", err)
	}
	out := apiAuditReport{OK: rep.OK(), Entries: rep.Entries, Head: rep.Head, Problems: rep.Problems}
	if out.Problems == nil {
		out.Problems = []string{}
	}
	writeAdminJSON(w, http.StatusOK, out)
	return nil
}
