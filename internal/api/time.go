package api

import (
	"errors"
	"strconv"
	"time"
)

// Time is a model timestamp. On the wire it is a JSON number of epoch seconds
// with a millisecond fraction, for example 1619651630.847.
type Time struct{ time.Time }

// TimeOf returns a *Time for t, truncated to milliseconds.
func TimeOf(t time.Time) *Time { return &Time{t.Truncate(time.Millisecond)} }

// MarshalJSON writes epoch seconds with at most millisecond precision.
func (t Time) MarshalJSON() ([]byte, error) {
	return t.appendJSON(nil), nil
}

// appendJSON appends what MarshalJSON writes: 1619651630.847, 1619651630.8
// or 1619651630.
func (t *Time) appendJSON(b []byte) []byte {
	ms := t.UnixMilli()
	b = strconv.AppendInt(b, ms/1000, 10)
	frac := ms % 1000
	if frac == 0 {
		return b
	}
	if frac < 0 {
		frac = -frac
	}
	digits := [3]byte{byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
	n := 3
	for digits[n-1] == '0' {
		n--
	}
	b = append(b, '.')
	return append(b, digits[:n]...)
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
