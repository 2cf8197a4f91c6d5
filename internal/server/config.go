package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of `openproton serve`. Each flag has an
// environment variable: --default-account is OPENPROTON_DEFAULT_ACCOUNT. A
// flag given on the command line wins over its variable.
type Config struct {
	Listen          string
	Store           string
	Auth            string
	Credentials     string
	DefaultAccount  string
	LogFormat       string
	MaxBodyBytes    int64
	MaxClockSkew    time.Duration
	ConnectionQuota int
	TokenKey        string
	ShutdownTimeout time.Duration
	// Templates: where template bundles are fetched from (at most one of the
	// two; neither means DefaultBundleDir), quotas, and the registration jobs.
	BundleS3Endpoint      string
	BundleDir             string
	TemplateQuota         int
	TemplateVersionQuota  int
	RegistrationLease     time.Duration
	TestRegistrationDelay time.Duration
	// Environments, services and deployments (config_environments.go).
	EnvironmentQuota   int
	ServiceQuota       int
	InstanceQuota      int
	ComponentQuota     int
	Provisioner        string
	ProvisionerDelay   time.Duration
	ProvisionerPoll    time.Duration
	ProvisionerTimeout time.Duration
	// CodeBuild templates under --provisioner aws (config_environments.go).
	CodeBuildTimeout   time.Duration
	CodeBuildSandbox   bool
	CodeBuildLogs      string
	CodeBuildEndpoint  string
	DeploymentWorkers  int
	DeploymentLease    time.Duration
	DeploymentAttempts int
	RenderMemoryMiB    int
	RenderTimeout      time.Duration
	RenderProcesses    int

	// HTTP limits: they bound what one slow or hostile client can hold.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int

	// DebugListen is a loopback address for the debug listener (runtime
	// figures and pprof); "" leaves it off.
	DebugListen string

	// fromEnv holds the flags whose value came from their environment
	// variable, so that errors found after parsing name the setting the
	// way the user gave it.
	fromEnv map[string]bool
}

// DefaultBundleDir is where template bundles are read from when neither
// --bundle-dir nor --bundle-s3-endpoint is given: bucket/key is the file
// DefaultBundleDir/bucket/key.
const DefaultBundleDir = "openproton-data/bundles"

// DefaultStore is the store used when none is configured: a SQLite file in
// the data directory below the working directory.
const DefaultStore = "sqlite:openproton-data/openproton.db"

// ParseConfig reads flags from args and OPENPROTON_* variables from getenv,
// and validates the result. Errors are one line naming the bad setting.
func ParseConfig(args []string, getenv func(string) string) (Config, error) {
	var c Config
	fs := flags(&c)
	fs.SetOutput(new(strings.Builder))
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, fmt.Errorf("invalid arguments: %v", err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	c.fromEnv = map[string]bool{}
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		if v := getenv(name); v != "" && !set[f.Name] && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = fmt.Errorf("invalid %s %q: %v", name, v, err)
			}
			c.fromEnv[f.Name] = true
		}
	})
	if envErr != nil {
		return c, envErr
	}
	err := c.validate()
	var se *settingError
	if errors.As(err, &se) {
		se.env = c.fromEnv[se.flag]
	}
	return c, err
}

// InvalidSetting reports whether err is a setting that cannot be used: a
// value wrong on its own, or one naming a directory that is not there or an
// address that is in use. Such errors are one line naming the setting; the
// server does not start, and exits 2.
func InvalidSetting(err error) bool {
	var se *settingError
	return errors.As(err, &se)
}

// invalid is bad for a setting found unusable after parsing (an address in
// use), named as the user gave it.
func (c Config) invalid(flag, format string, args ...any) error {
	return &settingError{flag: flag, msg: fmt.Sprintf(format, args...), env: c.fromEnv[flag]}
}

// envName is the environment variable of a flag.
func envName(flag string) string {
	return "OPENPROTON_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

var accountPattern = regexp.MustCompile(`^\d{12}$`)

// settingError is a bad setting; ParseConfig names it the way the user gave
// it, as a flag or as an environment variable.
type settingError struct {
	flag string // flag name without dashes
	msg  string // what is wrong, after the value
	env  bool   // the value came from the flag's environment variable
}

func (e *settingError) Error() string {
	if e.env {
		return "invalid " + envName(e.flag) + " " + e.msg
	}
	return "invalid --" + e.flag + " " + e.msg
}

func bad(flag, format string, args ...any) error {
	return &settingError{flag: flag, msg: fmt.Sprintf(format, args...)}
}

func (c Config) validate() error {
	if _, port, err := net.SplitHostPort(c.Listen); err != nil {
		return bad("listen", "%q: %v", c.Listen, err)
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return bad("listen", "%q: bad port", c.Listen)
	}
	store, err := ParseStore(c.Store)
	if err != nil {
		return bad("store", "%q: %v", c.Store, err)
	}
	switch c.Auth {
	case "open":
		if c.Credentials != "" {
			return bad("credentials", "%q: only used with --auth sigv4 (open mode verifies no signature)", c.Credentials)
		}
	case "sigv4":
		if c.Credentials == "" {
			return bad("credentials", "(empty): --auth sigv4 needs a credentials file")
		}
	default:
		return bad("auth", "%q: use open or sigv4", c.Auth)
	}
	if !accountPattern.MatchString(c.DefaultAccount) {
		return bad("default-account", "%q: an account id is 12 digits", c.DefaultAccount)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return bad("log-format", "%q: use text or json", c.LogFormat)
	}
	if c.MaxBodyBytes < 1024 {
		return bad("max-body-bytes", "%d: at least 1024", c.MaxBodyBytes)
	}
	if c.MaxClockSkew <= 0 {
		return bad("max-clock-skew", "%s: must be positive", c.MaxClockSkew)
	}
	if c.ConnectionQuota < 1 {
		return bad("quota-environment-account-connections", "%d: at least 1", c.ConnectionQuota)
	}
	if c.TokenKey != "" && len(c.TokenKey) < 16 {
		return bad("token-key", "(hidden): at least 16 bytes")
	}
	if store.Kind == StorePostgres && c.TokenKey == "" {
		return bad("token-key", "(empty): required with a postgres store, so that every replica accepts the page tokens of the others")
	}
	if c.ShutdownTimeout <= 0 {
		return bad("shutdown-timeout", "%s: must be positive", c.ShutdownTimeout)
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"read-header-timeout", c.ReadHeaderTimeout}, {"read-timeout", c.ReadTimeout}, {"write-timeout", c.WriteTimeout}, {"idle-timeout", c.IdleTimeout}} {
		// Zero would mean "no limit" to net/http: one slow client could
		// then hold a connection and its goroutine for ever.
		if d.v <= 0 {
			return bad(d.flag, "%s: must be positive", d.v)
		}
	}
	if c.ReadHeaderTimeout > c.ReadTimeout {
		return bad("read-header-timeout", "%s: must not exceed --read-timeout (%s), which also covers the headers", c.ReadHeaderTimeout, c.ReadTimeout)
	}
	if c.MaxHeaderBytes < 4096 {
		return bad("max-header-bytes", "%d: at least 4096", c.MaxHeaderBytes)
	}
	if c.DebugListen != "" {
		if err := loopbackAddr(c.DebugListen); err != nil {
			return bad("debug-listen", "%q: %v", c.DebugListen, err)
		}
	}
	if err := c.validateEnvironments(); err != nil {
		return err
	}
	return c.validateTemplates()
}

func (c Config) validateTemplates() error {
	if c.BundleS3Endpoint != "" && c.BundleDir != "" {
		return bad("bundle-dir", "%q: use either --bundle-dir or --bundle-s3-endpoint, not both", c.BundleDir)
	}
	if c.BundleDir != "" {
		// A directory given explicitly must exist, so that a typo fails
		// at start rather than every registration.
		info, err := os.Stat(c.BundleDir)
		var pe *fs.PathError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return bad("bundle-dir", "%q: no such directory", c.BundleDir)
		case errors.As(err, &pe):
			return bad("bundle-dir", "%q: %v", c.BundleDir, pe.Err)
		case err != nil:
			return bad("bundle-dir", "%q: %v", c.BundleDir, err)
		case !info.IsDir():
			return bad("bundle-dir", "%q: not a directory", c.BundleDir)
		}
	}
	if c.BundleS3Endpoint != "" {
		u, err := url.Parse(c.BundleS3Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("bundle-s3-endpoint", "%q: an http:// or https:// URL, such as http://127.0.0.1:9000", c.BundleS3Endpoint)
		}
	}
	if c.TemplateQuota < 1 {
		return bad("quota-templates", "%d: at least 1", c.TemplateQuota)
	}
	if c.TemplateVersionQuota < 1 {
		return bad("quota-template-versions", "%d: at least 1", c.TemplateVersionQuota)
	}
	if c.RegistrationLease < time.Second {
		return bad("registration-lease", "%s: at least 1s", c.RegistrationLease)
	}
	if c.TestRegistrationDelay < 0 {
		return bad("test-registration-delay", "%s: must not be negative", c.TestRegistrationDelay)
	}
	return nil
}

// loopbackAddr accepts host:port addresses whose host is a loopback IP or
// localhost: the debug listener shows the process's internals and must not be
// reachable from the network.
func loopbackAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return errors.New("bad port")
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return errors.New("the debug listener must listen on a loopback address (127.0.0.1, ::1 or localhost)")
}

// StoreKind names a store implementation.
type StoreKind int

// The store implementations.
const (
	StoreSQLite StoreKind = iota
	StoreMemory
	StorePostgres
)

// StoreSpec is a parsed --store value.
type StoreSpec struct {
	Kind StoreKind
	Path string // SQLite file, or the PostgreSQL URL
}

// ParseStore parses a --store value.
func ParseStore(s string) (StoreSpec, error) {
	switch {
	case s == "memory":
		return StoreSpec{Kind: StoreMemory}, nil
	case strings.HasPrefix(s, "sqlite:"):
		p := strings.TrimPrefix(s, "sqlite:")
		if p == "" {
			return StoreSpec{}, errors.New("sqlite: needs a file path, as in sqlite:data/openproton.db")
		}
		return StoreSpec{Kind: StoreSQLite, Path: p}, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return StoreSpec{Kind: StorePostgres, Path: s}, nil
	}
	return StoreSpec{}, errors.New("use sqlite:PATH, memory, or a postgres:// URL")
}

// Usage writes the flags of `openproton serve` to w.
func Usage(w io.Writer) {
	fs := flags(new(Config))
	fs.SetOutput(w)
	fmt.Fprint(w, "usage: openproton serve [flags]\n\nEach flag can also be set by an environment variable: --store is OPENPROTON_STORE.\n\n")
	fs.PrintDefaults()
}

// flags declares the flags of `openproton serve` into c.
func flags(c *Config) *flag.FlagSet {
	fs := flag.NewFlagSet("openproton serve", flag.ContinueOnError)
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:4577", "address to listen on")
	fs.StringVar(&c.Store, "store", DefaultStore, "state store: sqlite:PATH, memory, or a postgres:// URL")
	fs.StringVar(&c.Auth, "auth", "open", "authentication mode: open (any signed request; the access key names the account) or sigv4 (signatures verified against --credentials)")
	fs.StringVar(&c.Credentials, "credentials", "", "credentials file (YAML or JSON) for --auth sigv4")
	fs.StringVar(&c.DefaultAccount, "default-account", "000000000000", "account of open-mode callers whose access key is not a 12-digit account id")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", 1<<20, "largest request body accepted, in bytes")
	fs.DurationVar(&c.MaxClockSkew, "max-clock-skew", 5*time.Minute, "largest difference between a request's signing time and the server's clock (sigv4 mode)")
	fs.IntVar(&c.ConnectionQuota, "quota-environment-account-connections", 5, "PENDING and CONNECTED connections an environment account may have per region")
	fs.StringVar(&c.TokenKey, "token-key", "", "secret (16+ bytes) that authenticates page tokens; replicas sharing a database must share it; random per process when empty (SQLite and memory stores only)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long SIGTERM waits for in-flight requests")
	fs.StringVar(&c.BundleS3Endpoint, "bundle-s3-endpoint", "", "URL of the S3-compatible store that template bundles are fetched from (standard AWS credentials)")
	fs.StringVar(&c.BundleDir, "bundle-dir", "", "directory that stands for S3: bundle s3://BUCKET/KEY is the file DIR/BUCKET/KEY (default "+DefaultBundleDir+" when no --bundle-s3-endpoint is given)")
	fs.IntVar(&c.TemplateQuota, "quota-templates", 100, "environment and service templates (together) an account may have per region")
	fs.IntVar(&c.TemplateVersionQuota, "quota-template-versions", 500, "versions a template may have")
	fs.DurationVar(&c.RegistrationLease, "registration-lease", 30*time.Second, "how long a process holds a template version registration before another may take it over")
	fs.DurationVar(&c.TestRegistrationDelay, "test-registration-delay", 0, "for tests only: hold every template registration this long before fetching its bundle")
	environmentFlags(fs, c)
	fs.DurationVar(&c.ReadHeaderTimeout, "read-header-timeout", 10*time.Second, "how long a client may take to send a request's headers")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", 60*time.Second, "how long a client may take to send a whole request, headers and body")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", 60*time.Second, "how long answering a request may take, from the end of its headers to the last byte of the response")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", 120*time.Second, "how long an idle keep-alive connection stays open")
	fs.IntVar(&c.MaxHeaderBytes, "max-header-bytes", 64<<10, "largest request header section, in bytes; larger ones get HTTP 431")
	fs.StringVar(&c.DebugListen, "debug-listen", "", "loopback address of the debug listener (/debug/runtime, /debug/pprof/); off when empty")
	return fs
}
