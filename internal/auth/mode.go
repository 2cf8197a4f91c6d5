package auth

import "fmt"

// Mode selects how requests are authenticated.
type Mode string

const (
	// ModeOpen accepts any well formed signature without checking it. It
	// is the default so that a local server works with any credentials a
	// developer already has configured.
	ModeOpen Mode = "open"
	// ModeSigV4 verifies signatures against a credentials file.
	ModeSigV4 Mode = "sigv4"
)

// ParseMode returns the Mode named by s. The empty string selects ModeOpen,
// so an unset flag or environment variable means the default.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "", ModeOpen:
		return ModeOpen, nil
	case ModeSigV4:
		return ModeSigV4, nil
	}
	return "", fmt.Errorf("auth mode %q is not supported; use %q or %q", s, ModeOpen, ModeSigV4)
}
