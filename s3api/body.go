package s3api

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"

	"github.com/wormstore/wormstore/s3api/s3err"
)

// clientBody is the request body as the handlers see it. It remembers
// whether the body was read to its end (so an error answered before that
// closes the connection instead of draining an unread, possibly stalled
// body), and it turns every error of the transport into the client's error:
// a read deadline is RequestTimeout, anything else (a broken chunked
// transfer coding, a connection reset) IncompleteBody, never a 500.
//
// It is installed on a shallow copy of the *http.Request: net/http decides
// by the type of its own Request.Body whether to send "100 Continue" and
// whether to drain an unread body, so the server's Request is never
// modified.
type clientBody struct {
	rc      io.ReadCloser
	sawEOF  bool
	readErr bool // a read failed: what is left on the wire is unknown
}

func (b *clientBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	switch {
	case err == nil:
	case err == io.EOF:
		b.sawEOF = true
	default:
		b.readErr = true
		err = clientReadError(err)
	}
	return n, err
}

func (b *clientBody) Close() error { return b.rc.Close() }

// clientReadError maps an error of reading the request body from the
// client to the S3 error it is answered with.
func clientReadError(err error) error {
	var se *s3err.Error
	if errors.As(err, &se) {
		return err
	}
	var ne net.Error
	if errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		e := s3err.New(s3err.RequestTimeout, "")
		e.Err = err
		return e
	}
	e := s3err.New(s3err.IncompleteBody, "")
	e.Err = err
	return e
}

// installClientBody gives rq a shallow copy of its *http.Request whose
// Body is a clientBody.
func (rq *request) installClientBody() {
	if rq.r.Body == nil || rq.r.Body == http.NoBody {
		return
	}
	r := *rq.r
	rq.body = &clientBody{rc: r.Body}
	r.Body = rq.body
	rq.r = &r
}

// bodyUnread reports whether the request declared a body that was not
// read to its end: answering now must close the connection, or net/http
// would first drain (wait for) the rest.
func (rq *request) bodyUnread() bool {
	if rq.r.ContentLength == 0 || rq.body == nil {
		return false
	}
	return !rq.body.sawEOF
}
