package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

func TestCheckDelete(t *testing.T) {
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	future, past := now.Add(time.Hour), now.Add(-time.Hour)
	tests := []struct {
		name       string
		lock       LockState
		bypass     bool
		wantErr    error
		wantBypass bool
	}{
		{"no lock", LockState{}, false, nil, false},
		{"compliance active", LockState{Retention: Retention{ModeCompliance, future}}, false, ErrObjectLocked, false},
		{"compliance active with bypass", LockState{Retention: Retention{ModeCompliance, future}}, true, ErrObjectLocked, false},
		{"compliance expired", LockState{Retention: Retention{ModeCompliance, past}}, false, nil, false},
		{"compliance expires exactly now", LockState{Retention: Retention{ModeCompliance, now}}, false, nil, false},
		{"governance active", LockState{Retention: Retention{ModeGovernance, future}}, false, ErrObjectLocked, false},
		{"governance active with bypass", LockState{Retention: Retention{ModeGovernance, future}}, true, nil, true},
		{"governance expired with bypass records no bypass", LockState{Retention: Retention{ModeGovernance, past}}, true, nil, false},
		{"legal hold", LockState{LegalHold: true, LegalHoldSet: true}, false, ErrObjectLocked, false},
		{"legal hold beats bypass", LockState{LegalHold: true, Retention: Retention{ModeGovernance, future}}, true, ErrObjectLocked, false},
		{"legal hold with expired retention", LockState{LegalHold: true, Retention: Retention{ModeCompliance, past}}, true, ErrObjectLocked, false},
		{"legal hold off", LockState{LegalHold: false, LegalHoldSet: true}, false, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			used, err := checkDelete(now, tt.lock, tt.bypass)
			if tt.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.wantErr)
			}
			require.Equal(t, tt.wantBypass, used, "bypass used: got %v, want %v", used, tt.wantBypass)
		})
	}
}

func TestCheckRetention(t *testing.T) {
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	later, sooner, past := now.Add(48*time.Hour), now.Add(24*time.Hour), now.Add(-time.Hour)
	c := func(u time.Time) Retention { return Retention{ModeCompliance, u} }
	g := func(u time.Time) Retention { return Retention{ModeGovernance, u} }
	none := Retention{}
	tests := []struct {
		name       string
		old, next  Retention
		bypass     bool
		wantErr    error
		wantBypass bool
	}{
		{"set on unlocked", none, c(sooner), false, nil, false},
		{"past date", none, c(past), false, ErrInvalidRetention, false},
		{"now is not future", none, g(now), false, ErrInvalidRetention, false},
		{"bad mode", none, Retention{"FOREVER", later}, false, ErrInvalidRetention, false},
		{"year 10000 cannot be stored", none, c(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)), false, ErrInvalidRetention, false},
		{"year 9999 is fine", none, c(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)), false, nil, false},
		{"compliance extend", c(sooner), c(later), false, nil, false},
		{"compliance same date", c(sooner), c(sooner), false, nil, false},
		{"compliance shorten", c(later), c(sooner), false, ErrObjectLocked, false},
		{"compliance shorten with bypass", c(later), c(sooner), true, ErrObjectLocked, false},
		{"compliance to governance", c(sooner), g(later), true, ErrObjectLocked, false},
		{"compliance remove", c(sooner), none, true, ErrObjectLocked, false},
		{"compliance expired may change", c(past), g(sooner), false, nil, false},
		{"governance extend", g(sooner), g(later), false, nil, false},
		// Changing GOVERNANCE to COMPLIANCE alters the lock settings: AWS
		// answers 403 AccessDenied without the bypass header (issue 10).
		{"governance to compliance later", g(sooner), c(later), false, ErrObjectLocked, false},
		{"governance to compliance same date", g(sooner), c(sooner), false, ErrObjectLocked, false},
		{"governance to compliance later with bypass", g(sooner), c(later), true, nil, true},
		{"governance to compliance sooner", g(later), c(sooner), false, ErrObjectLocked, false},
		{"governance to compliance sooner with bypass", g(later), c(sooner), true, nil, true},
		{"governance expired to compliance", g(past), c(sooner), false, nil, false},
		{"governance extend with bypass records no bypass", g(sooner), g(later), true, nil, false},
		{"governance shorten", g(later), g(sooner), false, ErrObjectLocked, false},
		{"governance shorten with bypass", g(later), g(sooner), true, nil, true},
		{"governance remove", g(later), none, false, ErrObjectLocked, false},
		{"governance remove with bypass", g(later), none, true, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			used, err := checkRetention(now, tt.old, tt.next, tt.bypass)
			if tt.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.wantErr)
			}
			require.Equal(t, tt.wantBypass, used)
		})
	}
}

func TestDefaultRetention(t *testing.T) {
	at := time.Date(2026, 2, 28, 10, 0, 0, 0, time.UTC)
	require.Equal(t, time.Date(2026, 3, 30, 10, 0, 0, 0, time.UTC), DefaultRetention{Mode: ModeCompliance, Days: 30}.Apply(at).Until)
	require.Equal(t, time.Date(2027, 2, 28, 10, 0, 0, 0, time.UTC), DefaultRetention{Mode: ModeGovernance, Years: 1}.Apply(at).Until)
	for _, bad := range []DefaultRetention{{Mode: ModeCompliance}, {Mode: "X", Days: 1}, {Mode: ModeCompliance, Days: 1, Years: 1}, {Mode: ModeCompliance, Days: -1}, {Mode: ModeCompliance, Years: 101}} {
		require.True(t, errors.Is(bad.Validate(), ErrInvalidRetention), "%+v", bad)
	}
}

// TestRetainUntilYear10000 checks that a date the WAL cannot store is an
// invalid retention (400), not an encoding failure (500), on every path
// that sets one.
func TestRetainUntilYear10000(t *testing.T) {
	ctx := context.Background()
	e := openTest(t, testOptions(vfs.NewMem(), newFakeClock()))
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{ObjectLock: true}))
	far := &Retention{Mode: ModeCompliance, Until: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	_, err := e.PutObject(ctx, "b", "k", strings.NewReader("x"), PutOptions{Size: 1, Retention: far})
	require.ErrorIs(t, err, ErrInvalidRetention)
	_, err = e.CreateMultipartUpload(ctx, "b", "m", PutOptions{Retention: far})
	require.ErrorIs(t, err, ErrInvalidRetention)
	_, err = e.PutObject(ctx, "b", "k", strings.NewReader("x"), PutOptions{Size: 1})
	require.NoError(t, err)
	_, _, err = e.PutObjectRetention(ctx, "b", "k", "", *far, false)
	require.ErrorIs(t, err, ErrInvalidRetention)
}
