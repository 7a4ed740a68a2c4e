package iam

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// mustParse parses doc with opts, failing the test on error.
func mustParse(t testing.TB, doc string, opts ParseOptions) *Policy {
	t.Helper()
	p, err := ParseWithOptions([]byte(doc), opts)
	require.NoError(t, err, "policy:\n%s", doc)
	return p
}

// loadPolicy parses testdata/name with the given kind.
func loadPolicy(t testing.TB, name string, kind Kind) *Policy {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return mustParse(t, string(doc), ParseOptions{Kind: kind})
}

// docJSON marshals v (maps, slices, strings) to a policy document.
func docJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// ctx builds a Request.Context from key, values pairs.
func ctx(kv ...any) map[string][]string {
	m := make(map[string][]string)
	for i := 0; i < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case string:
			m[kv[i].(string)] = []string{v}
		case []string:
			m[kv[i].(string)] = v
		}
	}
	return m
}

const (
	account  = "000000000000"
	uploader = "arn:aws:iam::000000000000:user/uploader"
)
