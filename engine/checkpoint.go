package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/wormstore/wormstore/wal"
)

// Index checkpoints. A checkpoint is a Pebble checkpoint of the index
// (sstables hard-linked, so O(1) extra space when taken) in
// <data>/checkpoints/<applied LSN as %016x>/, plus a CHECKPOINT manifest
// that makes it self-verifying. A checkpoint at LSN L is published only
// after it was proven equal to the state derived from WAL records 1..L:
// the previous verified checkpoint (or an empty index) with records
// (previous, L] replayed onto it must hold exactly the same keys and
// values. By induction every published checkpoint equals a replay of the
// whole log, without trusting the live index. Rebuild and Verify start
// from the newest checkpoint that still passes verification, so their cost
// is the size of the index plus the WAL written since that checkpoint, not
// the whole history; WAL files wholly at or below the oldest retained
// checkpoint are retired to wal/archive (see wal.Log.Retire).
//
// The CHECKPOINT manifest, little-endian:
//
//	+-------------+---------+---------+----------+------------+-------------+----------+
//	| magic (8)   | version | LSN u64 | keys u64 | digest u64 | created i64 | base u64 |
//	| "WORMCKP1"  | u32 = 1 |         |          | (xxh64)    | unix ns     |          |
//	+-------------+---------+---------+----------+------------+-------------+----------+
//	 0             8         12        20         28           36            44        52
//
// followed by the file count (u32) and, for each file of the checkpoint
// directory but CHECKPOINT and LOCK, sorted by name: name length (u16),
// name, size (u64), xxh64 of the content (u64); and last the xxh64 of
// every preceding byte (u64). digest is the logical digest of the index
// (logicalDigest); base is the LSN of the checkpoint it was verified
// against, 0 for an empty index. ckptMagic, ckptVersion, ckptManifest and
// checkpointsDir define this format; do not change them.
const (
	checkpointsDir = "checkpoints"
	ckptManifest   = "CHECKPOINT"
	ckptMagic      = "WORMCKP1"
	ckptVersion    = uint32(1)
	ckptFixedSize  = 52
	ckptTmpSuffix  = ".tmp"
	// ckptMaxFiles bounds the file list a reader accepts.
	ckptMaxFiles = 1 << 20
	// DefaultCheckpointKeep is the default Options.CheckpointKeep.
	DefaultCheckpointKeep = 2
)

// Checkpoint errors.
var (
	// ErrCheckpointCorrupt: a checkpoint failed verification (its manifest,
	// a file's checksum, or the logical digest of its keys). It is skipped.
	ErrCheckpointCorrupt = errors.New("engine: checkpoint corrupt")
	// ErrCheckpointMismatch: a new checkpoint of the live index differs from
	// the state the WAL derives; it is not published.
	ErrCheckpointMismatch = errors.New("engine: checkpoint differs from the wal")
	// ErrWALRetired: the records needed to rebuild the index were retired
	// to wal/archive and are neither there nor covered by a usable
	// checkpoint. Restore the archived files into <data>/wal/archive.
	ErrWALRetired = errors.New("engine: needed wal records are not available")
)

// CheckpointInfo describes a published checkpoint.
type CheckpointInfo struct {
	// LSN is the last WAL record the checkpoint reflects.
	LSN uint64
	// Keys is the number of index entries; Digest their logical digest.
	Keys   int64
	Digest uint64
	// Created is the engine time it was taken.
	Created time.Time
	// Base is the LSN of the checkpoint this one was verified against
	// (0: verified against a replay of the WAL from record 1).
	Base uint64
	// Files is the number of files in the checkpoint directory.
	Files int
}

// CheckpointResult is what Checkpoint did.
type CheckpointResult struct {
	// Checkpoint is the new checkpoint, or the newest existing one when the
	// index had not moved since (New is then false).
	Checkpoint CheckpointInfo
	New        bool
	// Pruned lists the LSNs of checkpoints removed (beyond
	// Options.CheckpointKeep).
	Pruned []uint64
	// Retired lists the WAL files moved to wal/archive.
	Retired []wal.RetiredFile
	// Took is the wall time of the whole operation.
	Took time.Duration
}

type ckptFile struct {
	name string
	size int64
	sum  uint64
}

type ckptManifestData struct {
	CheckpointInfo
	files []ckptFile
}

func ckptName(lsn uint64) string { return fmt.Sprintf("%016x", lsn) }

func parseCkptName(name string) (uint64, bool) {
	if len(name) != 16 {
		return 0, false
	}
	v, err := strconv.ParseUint(name, 16, 64)
	if err != nil || ckptName(v) != name {
		return 0, false
	}
	return v, true
}

func encodeCkptManifest(m *ckptManifestData) []byte {
	b := make([]byte, 0, ckptFixedSize+4+len(m.files)*40+8)
	b = append(b, ckptMagic...)
	b = binary.LittleEndian.AppendUint32(b, ckptVersion)
	b = binary.LittleEndian.AppendUint64(b, m.LSN)
	b = binary.LittleEndian.AppendUint64(b, uint64(m.Keys))
	b = binary.LittleEndian.AppendUint64(b, m.Digest)
	b = binary.LittleEndian.AppendUint64(b, uint64(m.Created.UnixNano()))
	b = binary.LittleEndian.AppendUint64(b, m.Base)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.files)))
	for _, f := range m.files {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(f.name)))
		b = append(b, f.name...)
		b = binary.LittleEndian.AppendUint64(b, uint64(f.size))
		b = binary.LittleEndian.AppendUint64(b, f.sum)
	}
	return binary.LittleEndian.AppendUint64(b, xxhash.Sum64(b))
}

func decodeCkptManifest(b []byte) (*ckptManifestData, error) {
	bad := func(why string) error { return fmt.Errorf("%w: manifest: %s", ErrCheckpointCorrupt, why) }
	if len(b) < ckptFixedSize+4+8 {
		return nil, bad("short")
	}
	body, sum := b[:len(b)-8], binary.LittleEndian.Uint64(b[len(b)-8:])
	if xxhash.Sum64(body) != sum {
		return nil, bad("checksum mismatch")
	}
	if string(body[:8]) != ckptMagic {
		return nil, bad("bad magic")
	}
	if v := binary.LittleEndian.Uint32(body[8:12]); v != ckptVersion {
		return nil, bad(fmt.Sprintf("unknown version %d", v))
	}
	m := &ckptManifestData{}
	m.LSN = binary.LittleEndian.Uint64(body[12:20])
	m.Keys = int64(binary.LittleEndian.Uint64(body[20:28]))
	m.Digest = binary.LittleEndian.Uint64(body[28:36])
	m.Created = time.Unix(0, int64(binary.LittleEndian.Uint64(body[36:44]))).UTC()
	m.Base = binary.LittleEndian.Uint64(body[44:52])
	n := binary.LittleEndian.Uint32(body[52:56])
	if n > ckptMaxFiles {
		return nil, bad("too many files")
	}
	p := body[56:]
	for i := uint32(0); i < n; i++ {
		if len(p) < 2 {
			return nil, bad("truncated file list")
		}
		l := int(binary.LittleEndian.Uint16(p))
		if len(p) < 2+l+16 {
			return nil, bad("truncated file list")
		}
		m.files = append(m.files, ckptFile{
			name: string(p[2 : 2+l]),
			size: int64(binary.LittleEndian.Uint64(p[2+l:])),
			sum:  binary.LittleEndian.Uint64(p[2+l+8:]),
		})
		p = p[2+l+16:]
	}
	if len(p) != 0 {
		return nil, bad("trailing bytes")
	}
	m.Files = len(m.files)
	return m, nil
}

// logicalDigest returns the number of entries of db and the xxh64 of
// every (uvarint key length, key, uvarint value length, value) in key
// order. It is independent of how Pebble laid the entries out.
func logicalDigest(ctx context.Context, db iterable) (int64, uint64, error) {
	it, err := db.NewIter(nil)
	if err != nil {
		return 0, 0, err
	}
	defer it.Close()
	d := xxhash.New()
	var n int64
	var lb [binary.MaxVarintLen64]byte
	for ok := it.First(); ok; ok = it.Next() {
		if isRevKey(it.Key()) {
			continue // derived reverse index (revindex.go), not digested
		}
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, 0, err
			}
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return 0, 0, err
		}
		_, _ = d.Write(lb[:binary.PutUvarint(lb[:], uint64(len(it.Key())))])
		_, _ = d.Write(it.Key())
		_, _ = d.Write(lb[:binary.PutUvarint(lb[:], uint64(len(v)))])
		_, _ = d.Write(v)
		n++
	}
	return n, d.Sum64(), it.Error()
}

// scratchPebbleOptions are the index options for checkpoints and scratch
// copies: without the live index's background-error channel, and with
// data corruption logged and returned as an error instead of the default
// fatal log.
func (e *Engine) scratchPebbleOptions(readOnly bool) *pebble.Options {
	o := e.pebbleOptions()
	o.EventListener = &pebble.EventListener{DataCorruption: func(info pebble.DataCorruptionInfo) {
		e.log.Error("engine: corruption in a checkpoint or scratch index", "path", info.Path, "err", info.Details)
	}}
	o.ReadOnly = readOnly
	return o
}

// ckptSkipFile reports files of a checkpoint directory that are not part
// of the checkpoint proper (the manifest; Pebble's lock file).
func ckptSkipFile(name string) bool { return name == ckptManifest || name == "LOCK" }

// hashDirFiles lists dir's files (sorted) with their size and xxh64.
func hashDirFiles(fs vfs.FS, dir string) ([]ckptFile, error) {
	names, err := fs.List(dir)
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []ckptFile
	for _, name := range names {
		if ckptSkipFile(name) {
			continue
		}
		f, err := fs.Open(fs.PathJoin(dir, name))
		if err != nil {
			return nil, err
		}
		d := xxhash.New()
		n, err := io.Copy(d, f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		out = append(out, ckptFile{name: name, size: n, sum: d.Sum64()})
	}
	return out, nil
}

// listCheckpoints returns the LSNs of the published checkpoints, newest
// first.
func (e *Engine) listCheckpoints() ([]uint64, error) {
	root := e.fs.PathJoin(e.opts.Dir, checkpointsDir)
	names, err := e.fs.List(root)
	if oserrorIsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("engine: list %s: %w", root, err)
	}
	var out []uint64
	for _, n := range names {
		if lsn, ok := parseCkptName(n); ok {
			out = append(out, lsn)
		}
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out, nil
}

func (e *Engine) ckptDir(lsn uint64) string {
	return e.fs.PathJoin(e.opts.Dir, checkpointsDir, ckptName(lsn))
}

// readCkptManifest reads and decodes the manifest of checkpoint lsn.
func (e *Engine) readCkptManifest(lsn uint64) (*ckptManifestData, error) {
	path := e.fs.PathJoin(e.ckptDir(lsn), ckptManifest)
	f, err := e.fs.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCheckpointCorrupt, path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCheckpointCorrupt, path, err)
	}
	m, err := decodeCkptManifest(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m.LSN != lsn {
		return nil, fmt.Errorf("%w: %s: manifest LSN %d contradicts directory name", ErrCheckpointCorrupt, path, m.LSN)
	}
	return m, nil
}

// verifyCheckpoint fully checks checkpoint lsn: its manifest, every file's
// size and checksum (so no byte of the directory changed), and, opening it
// read-only, its applied LSN and the logical digest of its entries. Any
// failure wraps ErrCheckpointCorrupt.
func (e *Engine) verifyCheckpoint(ctx context.Context, lsn uint64) (*ckptManifestData, error) {
	dir := e.ckptDir(lsn)
	m, err := e.readCkptManifest(lsn)
	if err != nil {
		return nil, err
	}
	files, err := hashDirFiles(e.fs, dir)
	if err != nil {
		return nil, fmt.Errorf("%w: checkpoint %s: %w", ErrCheckpointCorrupt, dir, err)
	}
	if !slices.Equal(files, m.files) {
		return nil, fmt.Errorf("%w: checkpoint %s: files differ from its manifest", ErrCheckpointCorrupt, dir)
	}
	db, err := pebble.Open(dir, e.scratchPebbleOptions(true))
	if err != nil {
		return nil, fmt.Errorf("%w: checkpoint %s: open: %w", ErrCheckpointCorrupt, dir, err)
	}
	defer db.Close()
	applied, err := metaUintOf(db, keyApplied)
	if err != nil || applied != lsn {
		return nil, fmt.Errorf("%w: checkpoint %s: applied LSN %d (%v)", ErrCheckpointCorrupt, dir, applied, err)
	}
	keys, digest, err := logicalDigest(ctx, db)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: checkpoint %s: read: %w", ErrCheckpointCorrupt, dir, err)
	}
	if keys != m.Keys || digest != m.Digest {
		return nil, fmt.Errorf("%w: checkpoint %s: %d keys digest %016x, manifest says %d keys digest %016x",
			ErrCheckpointCorrupt, dir, keys, digest, m.Keys, m.Digest)
	}
	return m, nil
}

// metaUintOf reads the 8-byte big-endian meta value k from g; an absent
// key reads as 0.
func metaUintOf(g getter, k []byte) (uint64, error) {
	v, c, err := g.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: meta key %q", ErrCorrupt, k)
	}
	return binary.BigEndian.Uint64(v), nil
}

// cloneIndexDir makes dst a copy of the Pebble directory src that Pebble
// can open read-write without touching src: sstables and blob files are
// hard-linked (Pebble never rewrites them), everything else is copied;
// every file and dst are synced.
func cloneIndexDir(fs vfs.FS, src, dst string) error {
	if err := mkdirSynced(fs, dst); err != nil {
		return err
	}
	names, err := fs.List(src)
	if err != nil {
		return err
	}
	for _, name := range names {
		if ckptSkipFile(name) {
			continue
		}
		from, to := fs.PathJoin(src, name), fs.PathJoin(dst, name)
		if strings.HasSuffix(name, ".sst") || strings.HasSuffix(name, ".blob") {
			if err := vfs.LinkOrCopy(fs, from, to); err != nil {
				return err
			}
			continue
		}
		if err := copySynced(fs, from, to); err != nil {
			return err
		}
	}
	return syncDir(fs, dst)
}

func copySynced(fs vfs.FS, from, to string) (err error) {
	in, err := fs.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := fs.Create(to, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		return err
	}
	return out.Sync()
}

// walSource replays WAL records from the archive (below the live log's
// first LSN) and then from the live log.
type walSource struct {
	l   *wal.Log
	fs  vfs.FS
	dir string // the live WAL directory
}

func (e *Engine) walSource() walSource {
	return walSource{l: e.wal, fs: e.fs, dir: e.fs.PathJoin(e.opts.Dir, walDir)}
}

// Replay implements replaySource.
func (s walSource) Replay(from wal.LSN, fn func(wal.LSN, []byte) error) error {
	first := s.l.FirstLSN()
	if from < first {
		a, err := wal.OpenArchive(s.fs, s.dir)
		if err != nil {
			return err
		}
		if !a.Covers(max(from, 1), first-1) {
			return fmt.Errorf("%w: LSNs %d-%d were retired and are not in %s/%s", ErrWALRetired, max(from, 1), first-1, s.dir, wal.ArchiveDir)
		}
		if err := a.Replay(from, first-1, fn); err != nil {
			return err
		}
		from = first
	}
	return s.l.Replay(from, fn)
}

// available reports whether records [from, ∞) can be replayed.
func (s walSource) available(from uint64) bool {
	first := uint64(s.l.FirstLSN())
	if from >= first {
		return true
	}
	a, err := wal.OpenArchive(s.fs, s.dir)
	return err == nil && a.Covers(wal.LSN(max(from, 1)), wal.LSN(first-1))
}

// replaySource is where replayInto reads records.
type replaySource interface {
	Replay(from wal.LSN, fn func(wal.LSN, []byte) error) error
}

// usableCheckpoint returns the newest checkpoint with above < LSN <= upTo
// that passes verification and from which the WAL can be replayed, or nil.
// Checkpoints failing verification are logged and skipped (never used),
// and reported through bad when it is set.
func (e *Engine) usableCheckpoint(ctx context.Context, above, upTo uint64, bad func(lsn uint64, err error)) (*ckptManifestData, error) {
	lsns, err := e.listCheckpoints()
	if err != nil {
		return nil, err
	}
	src := e.walSource()
	for _, lsn := range lsns {
		if lsn <= above || lsn > upTo {
			continue
		}
		m, err := e.verifyCheckpoint(ctx, lsn)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			e.log.Error("engine: checkpoint failed verification; skipping it", "lsn", lsn, "err", err)
			if bad != nil {
				bad(lsn, err)
			}
			continue
		}
		if !src.available(lsn + 1) {
			continue
		}
		return m, nil
	}
	return nil, nil
}

// seedIndex is the rebuild hook of openIndex, called with the index open
// in dir at applied. When force is set (Rebuild: the index is empty), or
// when the records after applied were retired and are not in the archive,
// it replaces the index with a copy of the newest usable checkpoint and
// returns its LSN; replay then continues from there.
func (e *Engine) seedIndex(ctx context.Context, dir string, applied uint64, force bool) (uint64, error) {
	src := e.walSource()
	if !force && applied+1 >= uint64(e.wal.FirstLSN()) {
		return applied, nil
	}
	m, err := e.usableCheckpoint(ctx, applied, uint64(e.wal.LastLSN()), nil)
	if err != nil {
		return 0, err
	}
	if m == nil {
		if src.available(applied + 1) {
			return applied, nil
		}
		return 0, fmt.Errorf("%w: the index is at LSN %d, the live wal starts at %d, and no verified checkpoint or archived file covers the gap; restore the archived wal files into %s",
			ErrWALRetired, applied, e.wal.FirstLSN(), e.fs.PathJoin(src.dir, wal.ArchiveDir))
	}
	if err := e.db.Close(); err != nil {
		return 0, err
	}
	e.db = nil
	if err := e.fs.RemoveAll(dir); err != nil {
		return 0, fmt.Errorf("engine: remove index: %w", err)
	}
	if err := cloneIndexDir(e.fs, e.ckptDir(m.LSN), dir); err != nil {
		return 0, fmt.Errorf("engine: restore checkpoint %d: %w", m.LSN, err)
	}
	if e.db, err = pebble.Open(dir, e.pebbleOptions()); err != nil {
		return 0, fmt.Errorf("engine: open index: %w", err)
	}
	e.log.Info("recovery: index restored from checkpoint", "lsn", m.LSN, "keys", m.Keys)
	return m.LSN, nil
}

// verifyScratch is the Verify hook: it opens the scratch index in dir
// seeded from the newest usable checkpoint at or below applied and returns
// it with the first LSN to replay. Every checkpoint that fails
// verification is reported as a "checkpoint" problem.
func (e *Engine) verifyScratch(ctx context.Context, dir string, applied uint64, rep *VerifyReport) (*pebble.DB, wal.LSN, error) {
	bad := func(lsn uint64, err error) {
		rep.add(Problem{Kind: "checkpoint", Detail: fmt.Sprintf("checkpoint %s: %v", ckptName(lsn), err)})
	}
	m, err := e.usableCheckpoint(ctx, 0, applied, bad)
	if err != nil {
		return nil, 0, err
	}
	from := wal.LSN(1)
	if m != nil {
		if err := cloneIndexDir(e.fs, e.ckptDir(m.LSN), dir); err != nil {
			return nil, 0, fmt.Errorf("engine: copy checkpoint %d: %w", m.LSN, err)
		}
		from = wal.LSN(m.LSN + 1)
	}
	db, err := pebble.Open(dir, e.scratchPebbleOptions(false))
	if err != nil {
		return nil, 0, fmt.Errorf("engine: open scratch index: %w", err)
	}
	return db, from, nil
}

// Checkpoint takes a verified checkpoint of the index, prunes checkpoints
// beyond Options.CheckpointKeep, and retires the WAL files wholly at or
// below the oldest checkpoint kept to wal/archive. It returns the newest
// checkpoint unchanged when nothing was applied since. Safe for concurrent
// use; one checkpoint runs at a time.
func (e *Engine) Checkpoint(ctx context.Context) (*CheckpointResult, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	e.ckptMu.Lock()
	defer e.ckptMu.Unlock()
	if e.closed.Load() {
		return nil, ErrClosed
	}
	start := time.Now()
	res := &CheckpointResult{}
	fs := e.fs
	root := fs.PathJoin(e.opts.Dir, checkpointsDir)
	if err := mkdirSynced(fs, root); err != nil {
		return nil, fmt.Errorf("engine: create %s: %w", root, err)
	}
	if err := e.removeCheckpointLeftovers(); err != nil {
		return nil, err
	}
	lsns, err := e.listCheckpoints()
	if err != nil {
		return nil, err
	}
	var newest uint64
	if len(lsns) > 0 {
		newest = lsns[0]
	}
	applied, err := e.appliedLSNLocked()
	if err != nil {
		return nil, err
	}
	if applied == 0 || applied <= newest {
		if newest > 0 {
			if m, err := e.readCkptManifest(newest); err == nil {
				res.Checkpoint = m.CheckpointInfo
			}
		}
		res.Took = time.Since(start)
		return res, nil
	}

	// The index runs without a Pebble WAL: flush the memtable so the
	// checkpoint's sstables hold everything applied so far.
	if err := e.db.Flush(); err != nil {
		return nil, fmt.Errorf("engine: checkpoint: flush index: %w", err)
	}
	tmp := fs.PathJoin(root, "new"+ckptTmpSuffix)
	if err := e.db.Checkpoint(tmp); err != nil {
		return nil, fmt.Errorf("engine: checkpoint: %w", err)
	}
	published := false
	defer func() {
		if !published {
			_ = fs.RemoveAll(tmp)
		}
	}()
	bad := map[uint64]bool{}
	m, err := e.verifyNewCheckpoint(ctx, tmp, bad)
	if err != nil {
		return nil, err
	}
	if m.LSN <= newest {
		res.Took = time.Since(start)
		return res, nil
	}
	// The checkpoint may hold records applied but not yet durable; it must
	// never be ahead of the log.
	if err := e.wal.Sync(wal.LSN(m.LSN)); err != nil {
		return nil, fmt.Errorf("engine: checkpoint: sync wal: %w", err)
	}
	m.Created = e.judgeNow()
	if m.files, err = hashDirFiles(fs, tmp); err != nil {
		return nil, fmt.Errorf("engine: checkpoint: %w", err)
	}
	m.Files = len(m.files)
	if err := writeFileAtomic(fs, tmp, ckptManifest, encodeCkptManifest(m)); err != nil {
		return nil, err
	}
	if err := fs.Rename(tmp, e.ckptDir(m.LSN)); err != nil {
		return nil, fmt.Errorf("engine: publish checkpoint: %w", err)
	}
	published = true
	if err := syncDir(fs, root); err != nil {
		return nil, fmt.Errorf("engine: publish checkpoint: %w", err)
	}
	res.Checkpoint, res.New = m.CheckpointInfo, true
	e.log.Info("engine: checkpoint published", "lsn", m.LSN, "keys", m.Keys, "base", m.Base, "took", time.Since(start))

	oldestKept, err := e.pruneCheckpoints(res, bad)
	if err != nil {
		return res, err
	}
	// Never retire a WAL record whose audit entry is not yet durable in
	// the audit log: the WAL is that entry's only durable copy until then
	// (and open re-appends from the live WAL only).
	if err := e.flushAudit(); err != nil {
		return res, fmt.Errorf("engine: checkpoint: %w", err)
	}
	upTo := oldestKept
	if e.audit != nil {
		upTo = min(upTo, e.audit.covered.Load())
	}
	if res.Retired, err = e.wal.Retire(wal.LSN(upTo)); err != nil {
		return res, fmt.Errorf("engine: retire wal: %w", err)
	}
	res.Took = time.Since(start)
	return res, nil
}

// appliedLSNLocked reads the applied LSN under the mutation lock.
func (e *Engine) appliedLSNLocked() (uint64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.failed != nil {
		return 0, fmt.Errorf("%w: %w", ErrFailed, e.failed)
	}
	return e.appliedLSN()
}

// verifyNewCheckpoint proves the Pebble checkpoint in dir equal to the
// WAL-derived state at its applied LSN: it seeds a scratch index from the
// newest usable checkpoint below it (or starts empty), replays the records
// in between and compares every key. It returns the manifest to write
// (without files and time).
//
// Checkpoints that failed verification on the way are added to bad.
func (e *Engine) verifyNewCheckpoint(ctx context.Context, dir string, bad map[uint64]bool) (*ckptManifestData, error) {
	db, err := pebble.Open(dir, e.scratchPebbleOptions(true))
	if err != nil {
		return nil, fmt.Errorf("engine: checkpoint: open: %w", err)
	}
	defer db.Close()
	lsn, err := metaUintOf(db, keyApplied)
	if err != nil {
		return nil, err
	}
	m := &ckptManifestData{}
	m.LSN = lsn
	if m.Keys, m.Digest, err = logicalDigest(ctx, db); err != nil {
		return nil, err
	}
	base, err := e.usableCheckpoint(ctx, 0, lsn, func(lsn uint64, _ error) { bad[lsn] = true })
	if err != nil {
		return nil, err
	}
	scratchDir := e.fs.PathJoin(e.opts.Dir, checkpointsDir, "verify"+ckptTmpSuffix)
	if err := e.fs.RemoveAll(scratchDir); err != nil {
		return nil, err
	}
	defer e.fs.RemoveAll(scratchDir)
	from := uint64(1)
	if base != nil {
		if base.LSN == lsn {
			m.Base = base.Base
			return m, nil
		}
		if err := cloneIndexDir(e.fs, e.ckptDir(base.LSN), scratchDir); err != nil {
			return nil, fmt.Errorf("engine: checkpoint: copy base %d: %w", base.LSN, err)
		}
		m.Base, from = base.LSN, base.LSN+1
	} else if !e.walSource().available(1) {
		return nil, fmt.Errorf("%w: no verified checkpoint to verify against and the wal from LSN 1 is not available", ErrWALRetired)
	}
	scratch, err := pebble.Open(scratchDir, e.scratchPebbleOptions(false))
	if err != nil {
		return nil, fmt.Errorf("engine: checkpoint: open scratch: %w", err)
	}
	defer scratch.Close()
	if err := ensureRevIndexDB(ctx, scratch); err != nil {
		return nil, err
	}
	if _, err := replayInto(ctx, e.walSource(), scratch, wal.LSN(from), wal.LSN(lsn), func(int64) {}); err != nil {
		return nil, fmt.Errorf("engine: checkpoint: replay %d-%d: %w", from, lsn, err)
	}
	var diffs int
	var first []byte
	err = diffIndexes(db, scratch, func(k, _, _ []byte) {
		if diffs == 0 {
			first = bytes.Clone(k)
		}
		diffs++
	})
	if err != nil {
		return nil, err
	}
	if diffs > 0 {
		e.log.Error("engine: index differs from the wal; checkpoint not published", "lsn", lsn, "keys_differing", diffs)
		return nil, fmt.Errorf("%w: at LSN %d, %d keys differ (first %q); run verify", ErrCheckpointMismatch, lsn, diffs, first)
	}
	return m, nil
}

// pruneCheckpoints removes the checkpoints known to fail verification
// (bad: derived data, never used) and those beyond the newest
// CheckpointKeep whose manifests read back, and returns the LSN of the
// oldest one kept.
func (e *Engine) pruneCheckpoints(res *CheckpointResult, bad map[uint64]bool) (uint64, error) {
	lsns, err := e.listCheckpoints()
	if err != nil {
		return 0, err
	}
	var kept []uint64
	for _, lsn := range lsns {
		if !bad[lsn] && len(kept) < e.opts.CheckpointKeep {
			if _, err := e.readCkptManifest(lsn); err == nil {
				kept = append(kept, lsn)
			}
			continue
		}
		if bad[lsn] {
			e.log.Warn("engine: removing checkpoint that failed verification", "lsn", lsn)
		}
		if err := e.fs.RemoveAll(e.ckptDir(lsn)); err != nil {
			return 0, fmt.Errorf("engine: prune checkpoint %d: %w", lsn, err)
		}
		res.Pruned = append(res.Pruned, lsn)
	}
	if len(res.Pruned) > 0 {
		if err := syncDir(e.fs, e.fs.PathJoin(e.opts.Dir, checkpointsDir)); err != nil {
			return 0, err
		}
	}
	return kept[len(kept)-1], nil
}

// removeCheckpointLeftovers removes the temporary directories a crashed
// Checkpoint or Verify left behind.
func (e *Engine) removeCheckpointLeftovers() error {
	root := e.fs.PathJoin(e.opts.Dir, checkpointsDir)
	names, err := e.fs.List(root)
	if err != nil {
		return fmt.Errorf("engine: list %s: %w", root, err)
	}
	for _, n := range names {
		if strings.HasSuffix(n, ckptTmpSuffix) {
			if err := e.fs.RemoveAll(e.fs.PathJoin(root, n)); err != nil {
				return fmt.Errorf("engine: remove %s: %w", n, err)
			}
		}
	}
	return nil
}

// Checkpoints lists the published checkpoints, newest first, with their
// manifests; a checkpoint whose manifest cannot be read has only LSN set
// and Err describing why. It does not run the full verification.
func (e *Engine) Checkpoints() ([]CheckpointStatus, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	lsns, err := e.listCheckpoints()
	if err != nil {
		return nil, err
	}
	out := make([]CheckpointStatus, 0, len(lsns))
	for _, lsn := range lsns {
		st := CheckpointStatus{CheckpointInfo: CheckpointInfo{LSN: lsn}}
		if m, err := e.readCkptManifest(lsn); err != nil {
			st.Err = err
		} else {
			st.CheckpointInfo = m.CheckpointInfo
		}
		out = append(out, st)
	}
	return out, nil
}

// CheckpointStatus is one entry of Checkpoints.
type CheckpointStatus struct {
	CheckpointInfo
	Err error
}

// ArchivedWAL lists the WAL files in wal/archive, oldest first.
func (e *Engine) ArchivedWAL() ([]wal.RetiredFile, error) {
	a, err := wal.OpenArchive(e.fs, e.fs.PathJoin(e.opts.Dir, walDir))
	if err != nil {
		return nil, err
	}
	return a.Files(), nil
}

// RemoveArchivedWAL deletes archived WAL files whose every record is
// covered by the newest checkpoint that passes full verification now, and
// returns them. Without such a checkpoint it deletes nothing and returns
// ErrCheckpointCorrupt or ErrWALRetired. Nothing calls it automatically:
// the operator ships archived files off the box first.
func (e *Engine) RemoveArchivedWAL(ctx context.Context) ([]wal.RetiredFile, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	e.ckptMu.Lock()
	defer e.ckptMu.Unlock()
	lsns, err := e.listCheckpoints()
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, lsn := range lsns {
		m, err := e.verifyCheckpoint(ctx, lsn)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			errs = append(errs, err)
			continue
		}
		gone, err := wal.RemoveArchived(e.fs, e.fs.PathJoin(e.opts.Dir, walDir), wal.LSN(m.LSN))
		if len(gone) > 0 {
			e.log.Warn("engine: archived wal files deleted", "files", len(gone), "covered_by_checkpoint", m.LSN)
		}
		return gone, err
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return nil, fmt.Errorf("%w: no checkpoint covers the archive; run a checkpoint first", ErrWALRetired)
}

// checkpointLoop takes a checkpoint every Options.CheckpointInterval when
// records were applied since the last one.
func (e *Engine) checkpointLoop() {
	defer e.wg.Done()
	t := time.NewTicker(e.opts.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				select {
				case <-e.stop:
					cancel()
				case <-ctx.Done():
				}
			}()
			if _, err := e.Checkpoint(ctx); err != nil && !errors.Is(err, ErrClosed) && ctx.Err() == nil {
				e.log.Error("engine: background checkpoint failed", "err", err)
			}
			cancel()
		}
	}
}

// WALFirstLSN returns the first LSN the live WAL directory holds; records
// below it were retired to wal/archive.
func (e *Engine) WALFirstLSN() uint64 {
	if e.closed.Load() {
		return 0
	}
	return uint64(e.wal.FirstLSN())
}
