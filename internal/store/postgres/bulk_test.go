package postgres

import (
	"testing"

	"github.com/openproton/openproton/internal/store/storetest"
)

func TestBulkLoadConnections(t *testing.T) {
	// It owns its store: it runs beside the conformance suite.
	t.Parallel()
	db := newTestDB(t)
	s := db.open(t, db.newSchema(t))
	storetest.RunBulkLoad(t, s, s.BulkLoadConnections, 5000)
}
