package render

import (
	"os"
	"testing"
)

// TestMain lets this test binary serve as the rendering process of the
// renderings its tests start (see MaybeChild).
func TestMain(m *testing.M) {
	MaybeChild()
	os.Exit(m.Run())
}
