package sigv4

import "sync"

// maxCachedKeys bounds a SigningKeys cache. A server sees one entry per
// access key, region and day; when the bound is reached (after many days,
// or many keys) the cache starts over rather than tracking age.
const maxCachedKeys = 4096

// SigningKeys caches derived signing keys. Deriving one costs four
// HMAC-SHA256 computations, and a key serves every request of its access
// key, day and region, so a server saves them on all but the first request
// of the day. The zero value is ready; it is safe for concurrent use.
type SigningKeys struct {
	mu   sync.RWMutex
	keys map[keyScope][]byte
}

type keyScope struct{ secret, date, region, service string }

// get returns the signing key of secret for the scope, deriving it once.
func (c *SigningKeys) get(secret, date, region, service string) []byte {
	if c == nil {
		return signingKey(secret, date, region, service)
	}
	scope := keyScope{secret, date, region, service}
	c.mu.RLock()
	key, ok := c.keys[scope]
	c.mu.RUnlock()
	if ok {
		return key
	}
	key = signingKey(secret, date, region, service)
	c.mu.Lock()
	if c.keys == nil || len(c.keys) >= maxCachedKeys {
		c.keys = make(map[keyScope][]byte)
	}
	c.keys[scope] = key
	c.mu.Unlock()
	return key
}
