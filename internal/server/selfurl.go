package server

import (
	"net"
	"sync/atomic"
)

// selfURL is the URL that the commands of CodeBuild runs call this server
// at (their AWS_ENDPOINT_URL_PROTON): --codebuild-proton-endpoint, or the
// listener's address once Serve has it.
type selfURL struct {
	v atomic.Pointer[string]
}

func (u *selfURL) set(s string) { u.v.Store(&s) }

// get returns the URL, "" before it is known.
func (u *selfURL) get() string {
	if p := u.v.Load(); p != nil {
		return *p
	}
	return ""
}

// listenerURL is the http URL of a listener's address; a wildcard host
// (0.0.0.0, ::) is reached on the loopback address of its family.
func listenerURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip.To4() == nil {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}
