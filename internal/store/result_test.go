package store

import (
	"errors"
	"testing"
)

func TestWithRow(t *testing.T) {
	row := Template{Fingerprint: "f"}
	other := errors.New("disk full")
	if got, err := WithRow(row, nil, ErrConditionFailed); err != nil || got != row {
		t.Errorf("success: %+v %v", got, err)
	}
	if got, err := WithRow(row, ErrConditionFailed, ErrConditionFailed); err != ErrConditionFailed || got != row {
		t.Errorf("refusal: %+v %v, want the row with the error", got, err)
	}
	if got, err := WithRow(row, ErrLeaseLost, ErrConditionFailed); err != ErrLeaseLost || got != (Template{}) {
		t.Errorf("unlisted refusal: %+v %v, want the zero row", got, err)
	}
	if got, err := WithRow(row, other); err != other || got != (Template{}) {
		t.Errorf("failure: %+v %v, want the zero row", got, err)
	}
}
