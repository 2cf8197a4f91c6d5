// Package auth turns the signature on a request into the identity of its
// caller: the account and region every resource is keyed by.
//
// Two modes exist. In open mode, meant for local development, any well
// formed signature is accepted and the account follows from the access key
// ID alone. In sigv4 mode each access key comes from a credentials file with
// its secret and account, and signatures are verified. In both modes a
// request without an Authorization header is refused, the credential scope
// must name the proton service and a valid region, and that region becomes
// the caller's region.
//
// Failures are *fault.Error values carrying the front-end codes AWS uses, so
// the protocol layer writes them like any other error.
package auth
