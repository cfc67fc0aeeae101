package ratelimit

import (
	"testing"
	"time"
)

func TestTake(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	l := Limit{Name: "read", Rate: 5, Burst: 20}
	tests := []struct {
		name     string
		b        Bucket
		found    bool
		now      time.Time
		want     Bucket
		wantWait time.Duration
	}{
		{"a new bucket starts full", Bucket{}, false, t0, Bucket{19 * milli, t0}, 0},
		{"the last token", Bucket{milli, t0}, true, t0, Bucket{0, t0}, 0},
		{"empty: a token in 1/rate", Bucket{0, t0}, true, t0, Bucket{0, t0}, 200 * time.Millisecond},
		{"half refilled: the other half's wait", Bucket{0, t0}, true, t0.Add(100 * time.Millisecond), Bucket{500, t0.Add(100 * time.Millisecond)}, 100 * time.Millisecond},
		{"refilled by the millisecond", Bucket{0, t0}, true, t0.Add(200 * time.Millisecond), Bucket{0, t0.Add(200 * time.Millisecond)}, 0},
		{"a part-token wait rounds up", Bucket{999, t0}, true, t0, Bucket{999, t0}, time.Millisecond},
		{"refill stops at the burst", Bucket{0, t0}, true, t0.Add(time.Hour), Bucket{19 * milli, t0.Add(time.Hour)}, 0},
		{"a clock behind refills nothing", Bucket{500, t0}, true, t0.Add(-time.Second), Bucket{500, t0.Add(-time.Second)}, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, wait := l.Take(tt.b, tt.found, tt.now)
			if got.MilliTokens != tt.want.MilliTokens || !got.At.Equal(tt.want.At) || wait != tt.wantWait {
				t.Errorf("Take = %+v, %v; want %+v, %v", got, wait, tt.want, tt.wantWait)
			}
		})
	}
}

func TestTakeABurstThenTheRate(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	l := Limit{Name: "write", Rate: 1, Burst: 10}
	b, found, taken := Bucket{}, false, 0
	// Ten at once, then one a second for five seconds asked ten times a
	// second: 15 in all.
	for i := range 60 {
		next, wait := l.Take(b, found, now)
		if wait == 0 {
			taken++
			b, found = next, true
		}
		if i >= 9 {
			now = now.Add(100 * time.Millisecond)
		}
	}
	if taken != 15 {
		t.Errorf("taken %d, want 15", taken)
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		wait time.Duration
		want int
	}{
		{time.Millisecond, 1},
		{200 * time.Millisecond, 1},
		{time.Second, 1},
		{time.Second + time.Millisecond, 2},
		{10 * time.Second, 10},
	}
	for _, tt := range tests {
		if got := RetryAfter(tt.wait); got != tt.want {
			t.Errorf("RetryAfter(%v) = %d, want %d", tt.wait, got, tt.want)
		}
	}
}
