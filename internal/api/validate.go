package api

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/openproton/openproton/internal/fault"
)

// Violations collects constraint violations in the order they are found and
// renders them as one ValidationException in the Coral message format.
type Violations struct{ items []string }

// Err returns nil when nothing was violated, else a fault.Validation error
// listing every violation.
func (v *Violations) Err() error {
	switch len(v.items) {
	case 0:
		return nil
	case 1:
		return &fault.Error{Code: fault.Validation, Message: "1 validation error detected: " + v.items[0]}
	}
	return &fault.Error{Code: fault.Validation, Message: strconv.Itoa(len(v.items)) + " validation errors detected: " + strings.Join(v.items, "; ")}
}

// add records one violation. Sensitive values, and values holding U+0000,
// are left out of the message; others are quoted cut to fault.MaxEcho bytes.
func (v *Violations) add(path, value string, sensitive bool, constraint string) {
	if sensitive || strings.IndexByte(value, 0) >= 0 {
		v.items = append(v.items, fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", path, constraint))
		return
	}
	v.items = append(v.items, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", fault.Echo(value), path, constraint))
}

// text refuses U+0000 in any string member. The model allows it, but
// PostgreSQL cannot store it in text and SQLite would, so the two stores
// would answer differently; no Proton client sends it. Refusing it here, for
// every string of every input, keeps it out of every store.
func (v *Violations) text(path, value string) {
	if strings.IndexByte(value, 0) >= 0 {
		v.add(path, value, true, "Member must not contain the character U+0000 (NUL)")
	}
}

func (v *Violations) null(path string) {
	v.items = append(v.items, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", path))
}

// length checks a length n against inclusive bounds; -1 means unbounded.
func (v *Violations) length(path, value string, sensitive bool, n int, min, max int64) {
	if min >= 0 && int64(n) < min {
		v.add(path, value, sensitive, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	}
	if max >= 0 && int64(n) > max {
		v.add(path, value, sensitive, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

func (v *Violations) pattern(path, value string, sensitive bool, pattern string) {
	v.add(path, value, sensitive, "Member must satisfy regular expression pattern: "+pattern)
}

func (v *Violations) enum(path, value string, sensitive bool, values []string) {
	for _, ok := range values {
		if value == ok {
			return
		}
	}
	v.add(path, value, sensitive, "Member must satisfy enum value set: ["+strings.Join(values, ", ")+"]")
}

func (v *Violations) valueRange(path string, value, min, max int64) {
	s := strconv.FormatInt(value, 10)
	if min >= 0 && value < min {
		v.add(path, s, false, fmt.Sprintf("Member must have value greater than or equal to %d", min))
	}
	if max >= 0 && value > max {
		v.add(path, s, false, fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
}

// union records a union with zero or several members set; the model allows
// exactly one.
func (v *Violations) union(path string, set int) {
	v.add(strings.TrimSuffix(path, "."), strconv.Itoa(set)+" members set", false, "Member must have exactly one member set")
}

// outOfBounds reports whether n lies outside inclusive bounds; -1 means unbounded.
func outOfBounds(n int, min, max int64) bool {
	return (min >= 0 && int64(n) < min) || (max >= 0 && int64(n) > max)
}

func runeCount(s string) int { return utf8.RuneCountInString(s) }

// renderList renders a list value for a message: strings as they are, other
// elements as JSON.
func renderList[T any](items []T) string {
	parts := make([]string, len(items))
	for i, it := range items {
		if s, ok := any(it).(string); ok {
			parts[i] = s
			continue
		}
		b, _ := json.Marshal(it)
		parts[i] = string(b)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
