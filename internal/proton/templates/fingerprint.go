package templates

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"

	"github.com/openproton/openproton/internal/store"
)

// fingerprint identifies the parameters of a create request.
func fingerprint(parts ...any) string {
	b, _ := json.Marshal(parts)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// sortedTags returns tags ordered by key: tags are compared as a set.
func sortedTags(tags []store.Tag) []store.Tag {
	out := append([]store.Tag(nil), tags...)
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
