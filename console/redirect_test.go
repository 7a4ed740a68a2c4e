package console

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// openRedirects are targets that a browser would take off this site:
// the usual open-redirect bypass list (protocol-relative, backslash, tab
// and newline stripping, leading spaces and controls, percent-encoded
// variants, schemes).
var openRedirects = []string{
	"",
	"//evil.example/",
	"///evil.example/",
	"////evil.example/",
	"/\\evil.example/",
	"/\\/evil.example/",
	"\\\\evil.example/",
	"\\/evil.example/",
	"/\t/evil.example/",
	"/\n/evil.example/",
	"/\r/evil.example/",
	"/\r\n/evil.example/",
	"/\t\t/evil.example/",
	"/\x00/evil.example/",
	"/\x0b/evil.example/",
	"/\x7f/evil.example/",
	"/%09/evil.example/",
	"/%0a/evil.example/",
	"/%0d/evil.example/",
	"/%2F/evil.example/",
	"/%2f%2fevil.example/",
	"/%5Cevil.example/",
	"/%5c%5cevil.example/",
	" //evil.example/",
	"\t//evil.example/",
	"\x00//evil.example/",
	"https://evil.example/",
	"http:evil.example",
	"https:/evil.example",
	"javascript:alert(1)",
	"data:text/html,<script>alert(1)</script>",
	"evil.example",
	"./evil",
	"@evil.example",
	"/ok/\\..\\..\\evil",
	"/buckets\t",
}

// sameSite are targets the console itself sends in "next" and "back".
var sameSite = []string{
	"/",
	"/buckets",
	"/buckets/photos",
	"/buckets/photos?prefix=2026%2F03%2F&after=x",
	"/buckets/photos/object?key=a%20b%2Fc.txt&version=3f2a",
	"/buckets/photos/versions?key=%E2%82%AC.txt",
	"/buckets/%E2%82%AC",
	"/a/./b/../c",
	"/50%25-off",
}

func TestSameOriginPath(t *testing.T) {
	for _, target := range openRedirects {
		require.False(t, sameOriginPath(target), "got accepted, want refused: %q", target)
		require.Equal(t, "/", safeNext(target), "safeNext(%q)", target)
		r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(url.Values{"back": {target}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		require.Equal(t, "/default", backTo(r, "/default"), "backTo(%q)", target)
	}
	for _, target := range sameSite {
		require.True(t, sameOriginPath(target), "got refused, want accepted: %q", target)
		require.Equal(t, target, safeNext(target))
	}
}

// TestSigninNextOpenRedirect signs in with next=/%09/evil.example/ in the
// query string (decoded: "/\t/evil.example/") and checks the sign-in page
// does not carry it and the redirect after sign-in stays on the site.
func TestSigninNextOpenRedirect(t *testing.T) {
	tc := newTestConsole(t)
	b := tc.browser("192.0.2.9")
	page := b.do("GET", "/signin?next=/%09/evil.example/", nil, nil)
	require.Equal(t, http.StatusOK, page.Code)
	require.NotContains(t, page.Body.String(), "evil.example")
	w := b.do("POST", "/signin", url.Values{"csrf": {csrfFrom(t, page)}, "access_key": {testAK}, "secret_key": {testSK}, "next": {"/\t/evil.example/"}}, nil)
	require.Equal(t, http.StatusSeeOther, w.Code)
	require.Equal(t, "/", w.Header().Get("Location"))
}
