package components

import (
	"os"
	"testing"

	"github.com/openproton/openproton/internal/render"
)

// TestMain lets this test binary serve as the rendering process of the
// renderings its tests start (see render.MaybeChild).
func TestMain(m *testing.M) {
	render.MaybeChild()
	os.Exit(m.Run())
}
