package worker

import (
	"context"
	"time"
)

// ReleaseTimeout bounds handing a leased job back when the process stops.
const ReleaseTimeout = 5 * time.Second

// Detached returns a context for the bookkeeping that ends a job after ctx
// may have been cancelled by a shutdown: completing the job, or handing it
// back so that another process takes it at once rather than when its lease
// runs out, must still reach the store. It keeps ctx's values, not its
// cancellation, and ends after d.
func Detached(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), d)
}
