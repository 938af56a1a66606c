package auth

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a token bucket per client address (an IPv6 client by its
// /64, which one client usually has whole): perMinute attempts at once,
// refilled at perMinute a minute.
type limiter struct {
	perMinute int
	mu        sync.Mutex
	buckets   map[netip.Addr]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

// maxBuckets bounds the map: beyond it, buckets full again are dropped.
const maxBuckets = 10000

func newLimiter(perMinute int) *limiter {
	return &limiter{perMinute: perMinute, buckets: map[netip.Addr]*bucket{}}
}

// allow counts an attempt by ip at now and reports whether it is within
// the limit.
func (l *limiter) allow(ip netip.Addr, now time.Time) bool {
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			ip = p.Addr()
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[ip]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			for k, v := range l.buckets {
				if now.Sub(v.last) >= time.Minute { // refilled: as good as new
					delete(l.buckets, k)
				}
			}
		}
		b = &bucket{lim: rate.NewLimiter(rate.Every(time.Minute/time.Duration(l.perMinute)), l.perMinute)}
		l.buckets[ip] = b
	}
	b.last = now
	return b.lim.AllowN(now, 1)
}
