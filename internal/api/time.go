package api

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Time is a model timestamp. On the wire it is a JSON number of epoch seconds
// with a millisecond fraction, for example 1619651630.847.
type Time struct{ time.Time }

// TimeOf returns a *Time for t, truncated to milliseconds.
func TimeOf(t time.Time) *Time { return &Time{t.Truncate(time.Millisecond)} }

// MarshalJSON writes epoch seconds with at most millisecond precision.
func (t Time) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	s := strconv.FormatInt(ms/1000, 10)
	if frac := ms % 1000; frac != 0 {
		if frac < 0 {
			frac = -frac
		}
		s += "." + strings.TrimRight(strconv.FormatInt(1000+frac, 10)[1:], "0")
	}
	return []byte(s), nil
}

// UnmarshalJSON reads epoch seconds given as a JSON number.
func (t *Time) UnmarshalJSON(data []byte) error {
	f, err := strconv.ParseFloat(string(data), 64)
	if err != nil || len(data) == 0 || data[0] == '"' {
		return errors.New("expected a timestamp as a number of epoch seconds")
	}
	t.Time = time.UnixMilli(int64(f * 1000)).UTC()
	return nil
}
