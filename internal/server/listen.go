package server

import (
	"errors"
	"net"
	"syscall"
)

// Listener opens the API address (--listen). An address that cannot be
// listened on is an invalid setting, reported like every other one.
func (c Config) Listener() (net.Listener, error) {
	return c.listenOn("listen", c.Listen)
}

// listenOn listens on addr, the value of setting flag.
func (c Config) listenOn(flag, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	switch {
	case err == nil:
		return ln, nil
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, c.invalid(flag, "%q: the address is in use by another process", addr)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return nil, c.invalid(flag, "%q: no network interface of this machine has that address", addr)
	case errors.Is(err, syscall.EACCES):
		return nil, c.invalid(flag, "%q: this user may not listen on that port", addr)
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		err = oe.Err
	}
	return nil, c.invalid(flag, "%q: %v", addr, err)
}
