package engine

import (
	"context"
	"fmt"
)

// VerifyOptions selects what VerifyWith checks beyond the default.
type VerifyOptions struct {
	// Remote reads back every tiered segment (ranged GETs) and checks that
	// its remote object still carries COMPLIANCE retention at least until
	// the recorded retain-until (and the legal hold the engine set).
	Remote bool
}

// verifyRemoteLock adds a "tier" problem when tiered segment id's remote
// object is missing, changed size, or carries a weaker lock than recorded.
func (e *Engine) verifyRemoteLock(ctx context.Context, id uint64, rep *VerifyReport) {
	e.tier.mu.Lock()
	t, ok := e.tier.segs[id]
	e.tier.mu.Unlock()
	if !ok {
		return
	}
	o := e.tier.opts.Load()
	if o == nil {
		rep.add(Problem{Kind: "tier", Segment: id, Detail: "segment is tiered but no remote tier is configured"})
		return
	}
	var ro RemoteObject
	if err := e.remoteCall(ctx, o, "verify-head", func(ctx context.Context) (err error) {
		ro, err = o.Remote.Head(ctx, t.Key, t.VersionID)
		return err
	}); err != nil {
		rep.add(Problem{Kind: "tier", Segment: id, Detail: fmt.Sprintf("remote object %s version %s: %v", t.Key, t.VersionID, err)})
		return
	}
	switch {
	case ro.Size != t.Size:
		rep.add(Problem{Kind: "tier", Segment: id, Detail: fmt.Sprintf("remote object is %d bytes, recorded %d", ro.Size, t.Size)})
	case ro.CRC64NVME != "" && ro.CRC64NVME != t.CRC64NVME:
		rep.add(Problem{Kind: "tier", Segment: id, Detail: fmt.Sprintf("remote CRC64NVME %s, recorded %s", ro.CRC64NVME, t.CRC64NVME)})
	case ro.Mode != ModeCompliance || ro.RetainUntil.Before(t.Until):
		rep.add(Problem{Kind: "tier", Segment: id, Detail: fmt.Sprintf("remote lock %q until %s is weaker than the recorded COMPLIANCE until %s", ro.Mode, ro.RetainUntil, t.Until)})
	case t.Hold && !ro.LegalHold:
		rep.add(Problem{Kind: "tier", Segment: id, Detail: "remote legal hold was released"})
	}
}
