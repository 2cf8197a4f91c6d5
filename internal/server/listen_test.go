package server

import (
	"net"
	"testing"
)

// noEnv is a getenv that finds nothing.
func noEnv(string) string { return "" }

// busyAddr returns an address another listener holds until the test ends.
func busyAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// TestAddressInUseIsAnInvalidSetting refuses an API or debug address that
// another process holds as an invalid setting that names it.
func TestAddressInUseIsAnInvalidSetting(t *testing.T) {
	busy := busyAddr(t)
	cfg, err := ParseConfig([]string{"--store", "memory", "--listen", busy}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := cfg.Listener()
	want := `invalid --listen "` + busy + `": the address is in use by another process`
	if err == nil || err.Error() != want || !InvalidSetting(err) {
		if ln != nil {
			ln.Close()
		}
		t.Fatalf("Listen on a busy address = %v, want the invalid setting %q", err, want)
	}
	cfg, err = ParseConfig(nil, func(k string) string {
		return map[string]string{"OPENPROTON_LISTEN": busy, "OPENPROTON_STORE": "memory"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Listener(); err == nil || err.Error() != `invalid OPENPROTON_LISTEN "`+busy+`": the address is in use by another process` {
		t.Errorf("Listen on a busy OPENPROTON_LISTEN = %v", err)
	}

	s := testServer(t, "--debug-listen", busy)
	api, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	err = s.Serve(t.Context(), api)
	want = `invalid --debug-listen "` + busy + `": the address is in use by another process`
	if err == nil || err.Error() != want || !InvalidSetting(err) {
		t.Fatalf("Serve with a busy debug address = %v, want the invalid setting %q", err, want)
	}
}
