// Package pause is the one context-aware sleep of notimon: wait steps, the cpu probe's
// sample window and `notimon send`'s pauses between tries all wait with For, so that a
// stop (a cancelled context) ends every wait at once.
package pause

import (
	"context"
	"time"
)

// For waits for d or until ctx ends, whichever comes first, and returns ctx's error when
// ctx ended first (or had already ended). A d of zero or less does not wait.
func For(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
