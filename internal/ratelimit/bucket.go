package ratelimit

import "time"

// milli is one token in the bucket's own unit: tokens are counted in
// thousandths so that refilling by the millisecond stays in integers, and
// the same clock gives the same answer on every store.
const milli = 1000

// Limit is one class of request's allowance per tenant.
type Limit struct {
	// Name names the tenant's bucket for this class, e.g. "read".
	Name string
	// Rate is how many tokens a second come back (at least 1).
	Rate int64
	// Burst is how many tokens the bucket holds, so how many requests may
	// come at once after a quiet spell.
	Burst int64
}

// Bucket is what a store keeps of a tenant's bucket.
type Bucket struct {
	// MilliTokens is the tokens left at At, in thousandths.
	MilliTokens int64
	// At is when MilliTokens was counted.
	At time.Time
}

// Take refills b (found false: a bucket never used, so full) from its time
// to now and takes one token. With a token to take it returns the bucket to
// store and wait 0; without, the refilled bucket (nothing to store) and how
// long until a token is back.
func (l Limit) Take(b Bucket, found bool, now time.Time) (next Bucket, wait time.Duration) {
	full := l.Burst * milli
	tokens := full
	if found {
		// A clock behind the one that last wrote (another Lambda's) refills
		// nothing rather than draining.
		elapsed := max(now.Sub(b.At).Milliseconds(), 0)
		// One token a second is one thousandth a millisecond, so Rate
		// thousandths come back each millisecond.
		tokens = min(full, b.MilliTokens+elapsed*l.Rate)
	}
	if tokens < milli {
		// Rate thousandths a millisecond: round up, so a client that waits
		// this long finds its token.
		need := milli - tokens
		return Bucket{MilliTokens: tokens, At: now}, time.Duration((need+l.Rate-1)/l.Rate) * time.Millisecond
	}
	return Bucket{MilliTokens: tokens - milli, At: now}, 0
}

// RetryAfter is a wait in whole seconds for a Retry-After header: rounded
// up, and at least 1, since 0 would invite the client straight back.
func RetryAfter(wait time.Duration) int {
	return max(1, int((wait+time.Second-1)/time.Second))
}
