package postgres

import (
	"net/url"
	"testing"
)

func TestPoolSizeDefaultsAndURL(t *testing.T) {
	db := newTestDB(t)
	u, err := url.Parse(db.url)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Del("pool_max_conns")
	u.RawQuery = q.Encode()
	schema := db.newSchema(t)
	if got, want := db.openWith(t, u.String(), Options{Schema: schema}).pool.Config().MaxConns, defaultMaxConns(); got != want || want < 16 {
		t.Errorf("pool size without pool_max_conns = %d, want %d (at least 16)", got, want)
	}
	q.Set("pool_max_conns", "3")
	u.RawQuery = q.Encode()
	if got := db.openWith(t, u.String(), Options{Schema: schema}).pool.Config().MaxConns; got != 3 {
		t.Errorf("pool size with pool_max_conns=3 = %d", got)
	}
}
