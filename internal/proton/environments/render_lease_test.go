package environments

import (
	"context"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/provision"
	"github.com/openproton/openproton/internal/render"
	"github.com/openproton/openproton/internal/store"
)

// slowRenderer renders after a delay, as a rendering that waits for a free
// process or runs long does.
type slowRenderer struct {
	delay time.Duration
	next  render.Renderer
}

func (s slowRenderer) Render(ctx context.Context, job render.Job) (render.Result, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return render.Result{}, ctx.Err()
	}
	return s.next.Render(ctx, job)
}

func TestRenderingLongerThanTheLeaseKeepsTheLease(t *testing.T) {
	f := newFixture(t)
	f.create(t, "dev")
	const lease = 300 * time.Millisecond
	r := f.runner(provision.Emulate{}, runnerOptions{lease: lease, renderer: slowRenderer{delay: 4 * lease, next: render.NewIsolated(render.Limits{})}})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = r.Step(t.Context())
	}()
	time.Sleep(2 * lease)
	if j, ok, err := f.st.LeaseJob(t.Context(), store.LeaseJobParams{Owner: "other", Until: time.Now().Add(time.Minute), Now: time.Now()}); err != nil || ok {
		t.Errorf("another worker took over deployment %s while the first one rendered it (err %v)", j.ID, err)
	}
	<-done
	if e := f.get(t, "dev"); e.DeploymentStatus != store.DeploySucceeded {
		t.Errorf("deployment ended %s (%q), want SUCCEEDED", e.DeploymentStatus, e.DeploymentStatusMessage)
	}
}
