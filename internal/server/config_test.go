package server

import (
	"strings"
	"testing"
	"time"
)

func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:4577" || c.Store != DefaultStore || c.Auth != "open" || c.DefaultAccount != "000000000000" || c.LogFormat != "text" {
		t.Fatalf("defaults = %+v", c)
	}
	if c.ReadHeaderTimeout != 10*time.Second || c.ReadTimeout != time.Minute || c.WriteTimeout != time.Minute ||
		c.IdleTimeout != 2*time.Minute || c.MaxHeaderBytes != 64<<10 || c.DebugListen != "" {
		t.Fatalf("HTTP limits and debug listener defaults = %+v", c)
	}
}

// TestDebugListenIsLoopbackOnly accepts only loopback addresses for the
// debug listener, which shows the process's internals.
func TestDebugListenIsLoopbackOnly(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:6060": true, "[::1]:6060": true, "localhost:0": true, "127.0.0.2:1": true,
		":6060": false, "0.0.0.0:6060": false, "[::]:6060": false, "10.0.0.1:6060": false, "example.com:6060": false, "127.0.0.1": false,
	} {
		_, err := ParseConfig([]string{"--debug-listen", addr}, func(string) string { return "" })
		if (err == nil) != ok {
			t.Errorf("--debug-listen %s: %v", addr, err)
		}
	}
}

func TestEnvironmentAndFlagPrecedence(t *testing.T) {
	env := map[string]string{"OPENPROTON_LISTEN": "127.0.0.1:9999", "OPENPROTON_LOG_FORMAT": "json", "OPENPROTON_MAX_CLOCK_SKEW": "1m"}
	c, err := ParseConfig([]string{"--log-format", "text"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9999" || c.LogFormat != "text" || c.MaxClockSkew != time.Minute {
		t.Fatalf("got %+v", c)
	}
}

func TestInvalidConfigurationNamesTheSetting(t *testing.T) {
	cases := map[string][]string{
		"--listen":              {"--listen", "nope"},
		"--store":               {"--store", "mysql://x"},
		"--auth":                {"--auth", "bogus"},
		"--credentials":         {"--auth", "sigv4"},
		"--default-account":     {"--default-account", "12"},
		"--log-format":          {"--log-format", "xml"},
		"--token-key":           {"--store", "postgres://localhost/db"},
		"--max-body-bytes":      {"--max-body-bytes", "10"},
		"--read-timeout":        {"--read-timeout", "0s"},
		"--write-timeout":       {"--write-timeout", "-1s"},
		"--idle-timeout":        {"--idle-timeout", "0s"},
		"--read-header-timeout": {"--read-header-timeout", "2m"},
		"--max-header-bytes":    {"--max-header-bytes", "100"},
		"--debug-listen":        {"--debug-listen", "0.0.0.0:6060"},
		"unexpected":            {"extra"},
	}
	for want, args := range cases {
		_, err := ParseConfig(args, func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseConfig(%v) = %v, want one line naming %s", args, err, want)
		}
	}
	_, err := ParseConfig(nil, func(k string) string {
		if k == "OPENPROTON_AUTH" {
			return "bogus"
		}
		return ""
	})
	if err == nil || err.Error() != `invalid OPENPROTON_AUTH "bogus": use open or sigv4` {
		t.Errorf("bad OPENPROTON_AUTH: %v", err)
	}
}

// TestRenderSettings: the rendering limits have their documented
// defaults and variables, and refuse values that would break a
// deployment's lease or leave a rendering process no room to start.
func TestRenderSettings(t *testing.T) {
	c, err := ParseConfig(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.RenderMemoryMiB != 256 || c.RenderTimeout != 10*time.Second || c.RenderProcesses != 4 {
		t.Fatalf("render defaults: %d MiB, %s, %d processes", c.RenderMemoryMiB, c.RenderTimeout, c.RenderProcesses)
	}
	if l := c.renderLimits(); l.Memory != 256<<20 || l.Time != 10*time.Second || l.Processes != 4 {
		t.Fatalf("render limits %+v", l)
	}
	env := map[string]string{"OPENPROTON_RENDER_MEMORY_MIB": "512", "OPENPROTON_RENDER_TIMEOUT": "2s", "OPENPROTON_RENDER_PROCESSES": "1"}
	c, err = ParseConfig(nil, func(k string) string { return env[k] })
	if err != nil || c.RenderMemoryMiB != 512 || c.RenderTimeout != 2*time.Second || c.RenderProcesses != 1 {
		t.Fatalf("from the environment: %+v %v", c, err)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--render-memory-mib", "64"}, "invalid --render-memory-mib 64: between 128 and 65536 (the Go runtime of a rendering process maps about 40 MiB at start, and its stack may take 32 MiB)"},
		{[]string{"--render-timeout", "10ms"}, "invalid --render-timeout 10ms: at least 100ms"},
		{[]string{"--render-processes", "0"}, "invalid --render-processes 0: between 1 and 256"},
	} {
		_, err := ParseConfig(bad.args, func(string) string { return "" })
		if err == nil || err.Error() != bad.want {
			t.Errorf("%v: %v\nwant %s", bad.args, err, bad.want)
		}
	}
	// A deployment's lease is renewed while it renders, so a rendering (and
	// the wait for one) may outlast the lease.
	for _, args := range [][]string{{"--render-timeout", "15s", "--render-processes", "8"}, {"--render-timeout", "15s"},
		{"--deployment-lease", "2s"}} {
		if _, err := ParseConfig(args, func(string) string { return "" }); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
}

// TestProvisionerSettings: emulate is the default, aws is accepted with
// its poll interval and timeout, and anything else is refused.
func TestProvisionerSettings(t *testing.T) {
	none := func(string) string { return "" }
	c, err := ParseConfig(nil, none)
	if err != nil || c.Provisioner != ProvisionerEmulate || c.ProvisionerPoll != 5*time.Second || c.ProvisionerTimeout != time.Hour {
		t.Fatalf("defaults: %q, poll %s, timeout %s, %v", c.Provisioner, c.ProvisionerPoll, c.ProvisionerTimeout, err)
	}
	env := map[string]string{"OPENPROTON_PROVISIONER": "aws", "OPENPROTON_PROVISIONER_POLL": "100ms"}
	c, err = ParseConfig([]string{"--provisioner-timeout", "10m"}, func(k string) string { return env[k] })
	if err != nil || c.Provisioner != ProvisionerAWS || c.ProvisionerPoll != 100*time.Millisecond || c.ProvisionerTimeout != 10*time.Minute {
		t.Fatalf("aws: %q, poll %s, timeout %s, %v", c.Provisioner, c.ProvisionerPoll, c.ProvisionerTimeout, err)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--provisioner", "terraform"}, `invalid --provisioner "terraform": emulate or aws`},
		{[]string{"--provisioner-poll", "1ms"}, "invalid --provisioner-poll 1ms: at least 10ms"},
		{[]string{"--provisioner-timeout", "500ms"}, "invalid --provisioner-timeout 500ms: at least 1s"},
	} {
		if _, err := ParseConfig(bad.args, none); err == nil || err.Error() != bad.want {
			t.Errorf("%v: %v\nwant %s", bad.args, err, bad.want)
		}
	}
}
