package auth

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/sigv4"
)

const (
	// DefaultAccount is the account of open-mode callers whose access key
	// ID is not itself an account ID.
	DefaultAccount = "000000000000"
	// DefaultMaxSkew is the clock skew allowed in sigv4 mode, as on AWS.
	DefaultMaxSkew = sigv4.DefaultMaxSkew
	// service is the signing name of AWS Proton.
	service = "proton"
)

// Config configures an Authenticator. The zero value is open mode with the
// defaults.
type Config struct {
	// Mode is "open" (the default when empty) or "sigv4".
	Mode string
	// CredentialsFile is the YAML or JSON credentials file; required in
	// sigv4 mode and refused in open mode.
	CredentialsFile string
	// DefaultAccount is the open-mode account for access keys that are not
	// 12-digit account IDs; DefaultAccount when empty.
	DefaultAccount string
	// MaxSkew is the clock skew allowed in sigv4 mode; DefaultMaxSkew when
	// zero.
	MaxSkew time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Runs are the credentials of CodeBuild runs in progress; nil: none.
	Runs *Runs
}

// Authenticator resolves the Caller of a request. It is safe for
// concurrent use: nothing in it changes after New but a cache of derived
// signing keys and the credentials of CodeBuild runs (Runs).
type Authenticator struct {
	mode           Mode
	defaultAccount string
	credentials    map[string]credential
	maxSkew        time.Duration
	now            func() time.Time
	keys           sigv4.SigningKeys // derived signing keys
	runs           *Runs             // the credentials of CodeBuild runs, which come and go
}

// New validates cfg, loads the credentials file in sigv4 mode, and returns
// an Authenticator. Errors are one line and name the bad setting.
func New(cfg Config) (*Authenticator, error) {
	mode, err := ParseMode(cfg.Mode)
	if err != nil {
		return nil, err
	}
	a := &Authenticator{mode: mode, defaultAccount: cfg.DefaultAccount, maxSkew: cfg.MaxSkew, now: cfg.Now, runs: cfg.Runs}
	if a.defaultAccount == "" {
		a.defaultAccount = DefaultAccount
	}
	if !accountPattern.MatchString(a.defaultAccount) {
		return nil, fmt.Errorf("auth default account %q must be 12 digits", cfg.DefaultAccount)
	}
	if a.maxSkew < 0 {
		return nil, fmt.Errorf("auth max clock skew %s must not be negative", cfg.MaxSkew)
	}
	if a.maxSkew == 0 {
		a.maxSkew = DefaultMaxSkew
	}
	if a.now == nil {
		a.now = time.Now
	}

	switch mode {
	case ModeSigV4:
		if cfg.CredentialsFile == "" {
			return nil, errors.New("auth mode sigv4 needs a credentials file")
		}
		if a.credentials, err = loadCredentials(cfg.CredentialsFile); err != nil {
			return nil, err
		}
	case ModeOpen:
		// Silently ignoring the file would leave an operator believing the
		// server checks signatures when it does not.
		if cfg.CredentialsFile != "" {
			return nil, fmt.Errorf("auth credentials file %s is set but auth mode is open, which checks no signatures; set the mode to sigv4 or remove the file", cfg.CredentialsFile)
		}
	}
	return a, nil
}

// Mode returns the mode the Authenticator runs in.
func (a *Authenticator) Mode() Mode { return a.mode }

// Authenticate returns the Caller of r, whose whole body is body. On
// failure the error is a *fault.Error with one of the codes
// MissingAuthenticationToken, IncompleteSignature, InvalidSignature or
// UnrecognizedClient.
func (a *Authenticator) Authenticate(r *http.Request, body []byte) (Caller, error) {
	s, err := sigv4.Parse(r)
	if err != nil {
		return Caller{}, toFault(err)
	}
	if err := s.CheckScope(service); err != nil {
		return Caller{}, toFault(err)
	}

	if run, ok := a.runs.lookup(s.AccessKeyID); ok {
		// openproton issued these credentials itself and knows their
		// secret: they are verified in either mode.
		if err := s.VerifyCached(&a.keys, r, body, run.secret, a.now(), a.maxSkew); err != nil {
			return Caller{}, toFault(err)
		}
		return Caller{Account: run.account, Region: s.Region, Partition: Partition(s.Region), AccessKey: s.AccessKeyID,
			Deployment: run.deployment}, nil
	}
	var account string
	switch a.mode {
	case ModeSigV4:
		cred, ok := a.credentials[s.AccessKeyID]
		if !ok {
			return Caller{}, fault.New(fault.UnrecognizedClient, "The security token included in the request is invalid.")
		}
		if err := s.VerifyCached(&a.keys, r, body, cred.secret, a.now(), a.maxSkew); err != nil {
			return Caller{}, toFault(err)
		}
		account = cred.account
	default:
		account = openAccount(s.AccessKeyID, a.defaultAccount)
	}
	return Caller{
		Account:   account,
		Region:    s.Region,
		Partition: Partition(s.Region),
		AccessKey: s.AccessKeyID,
	}, nil
}

// openAccount is the open-mode account rule: a 12-digit access key ID is
// the account, so a developer picks an account by picking a key; any other
// key acts in the default account.
func openAccount(accessKeyID, defaultAccount string) string {
	if accountPattern.MatchString(accessKeyID) {
		return accessKeyID
	}
	return defaultAccount
}

// toFault maps a sigv4 failure to the front-end error AWS answers with.
func toFault(err error) *fault.Error {
	var e *sigv4.Error
	if !errors.As(err, &e) {
		return fault.New(fault.InvalidSignature, "The request signature could not be verified.")
	}
	code := fault.InvalidSignature
	switch e.Kind {
	case sigv4.Missing:
		code = fault.MissingAuthenticationToken
	case sigv4.Incomplete:
		code = fault.IncompleteSignature
	}
	// Built directly: the message is client text, not a format string.
	return &fault.Error{Code: code, Message: e.Message}
}
