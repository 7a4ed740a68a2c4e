package s3api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"
)

// TestCORSRealBrowser uploads from a web page in headless Chromium: the
// page (one origin) PUTs to a presigned URL of the S3 server (another
// origin), so the browser itself sends the preflight and enforces the
// answer. An upload to a bucket without CORS must be blocked by the
// browser. Skipped when no chromium is installed (WORMSTORE_CHROMIUM names
// another binary).
func TestCORSRealBrowser(t *testing.T) {
	chromium := os.Getenv("WORMSTORE_CHROMIUM")
	if chromium == "" {
		chromium = "chromium"
	}
	bin, err := exec.LookPath(chromium)
	if err != nil {
		t.Skipf("no %s: %v", chromium, err)
	}
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("browser", true)
	e.mustCreateBucket("nocors", false)

	page := httptest.NewServer(nil) // replaced below once the URLs are known
	defer page.Close()
	origin := page.URL
	_, err = e.s3.PutBucketCors(ctx(), &s3.PutBucketCorsInput{Bucket: aws.String("browser"), CORSConfiguration: &types.CORSConfiguration{
		CORSRules: []types.CORSRule{{AllowedOrigins: []string{origin}, AllowedMethods: []string{"PUT", "GET"},
			AllowedHeaders: []string{"content-type"}, ExposeHeaders: []string{"ETag", "x-amz-version-id"}, MaxAgeSeconds: aws.Int32(60)}},
	}})
	require.NoError(t, err)

	ps := s3.NewPresignClient(e.s3, func(o *s3.PresignOptions) { o.Expires = 10 * time.Minute })
	okURL, err := ps.PresignPutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("browser"), Key: aws.String("from-browser.txt")})
	require.NoError(t, err)
	badURL, err := ps.PresignPutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("nocors"), Key: aws.String("blocked.txt")})
	require.NoError(t, err)
	urls, err := json.Marshal(map[string]string{"ok": okURL.URL, "bad": badURL.URL})
	require.NoError(t, err)
	html := fmt.Sprintf(`<!doctype html><html><body><pre id="out">pending</pre><script>
const u = %s;
async function put(url) {
  try {
    const r = await fetch(url, {method: "PUT", body: "uploaded by a browser", headers: {"Content-Type": "text/plain"}});
    return "status=" + r.status + " etag=" + r.headers.get("ETag") + " version=" + r.headers.get("x-amz-version-id");
  } catch (e) { return "blocked:" + e.name; }
}
(async () => {
  const a = await put(u.ok), b = await put(u.bad);
  document.getElementById("out").textContent = "OK[" + a + "] BAD[" + b + "]";
})();
</script></body></html>`, urls)
	page.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(html))
	})

	cctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=20000", "--dump-dom", page.URL+"/")
	out, err := cmd.Output()
	require.NoError(t, err, "%s", out)
	m := regexp.MustCompile(`OK\[(.*?)\] BAD\[(.*?)\]`).FindStringSubmatch(string(out))
	require.NotNil(t, m, "page did not finish: %s", out)
	require.Regexp(t, `^status=200 etag="[0-9a-f]{32}" version=\S+$`, m[1], "the browser read the exposed headers")
	require.True(t, strings.HasPrefix(m[2], "blocked:"), "a bucket without CORS is blocked by the browser: %s", m[2])
	require.Equal(t, "uploaded by a browser", e.mustGet("browser", "from-browser.txt"))
	_, err = e.s3.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("nocors"), Key: aws.String("blocked.txt")})
	requireCode(t, err, "NotFound", 404)
}
