package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// BenchmarkAuditDenied measures the audit cost of a denied request (an
// entry that changes nothing) on a real disk, serial and with concurrent
// requests sharing group commits. Since every such entry is anchored by a
// WAL record before Audit returns, compare against the previous code
// (audit log sync only) with the same benchmark; see docs/notes-audit.md.
func BenchmarkAuditDenied(b *testing.B) {
	for _, par := range []int{1, 16} {
		b.Run(fmt.Sprintf("parallel=%d", par), func(b *testing.B) {
			opts := Options{FS: vfs.Default, Dir: b.TempDir(), CompactionInterval: -1}
			e, err := Open(context.Background(), opts)
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			ent := AuditEntry{Principal: "AKIAEXAMPLE (user)", Source: "192.0.2.1", Operation: "DeleteObject", Bucket: "vault",
				Key: "backups/2026/db.tar", Outcome: "denied", Status: 403, Detail: "AccessDenied"}
			b.SetParallelism(par)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := e.Audit(context.Background(), ent); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
