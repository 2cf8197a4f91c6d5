package handlers

import (
	"time"

	"github.com/openproton/openproton/internal/api"
)

// Each resource has one mapping from its store row to its answer form,
// of(row, values), which sets the values it derives from the row (the ARN,
// times) in *values and returns the api value; lists answer the generated
// Summary of that. Members point into the row and into *values rather than
// into copies of their own: an answer has a pointer per member, and a page
// of 100 environments made about 1,900 small allocations when each had its
// own. Both must outlive the answer.

// one is the answer form of a single row: the row's copy, the derived values
// and the api value in one allocation.
func one[R, V, X any](row R, of func(*R, *V) X) *X {
	a := &struct {
		row    R
		values V
		x      X
	}{row: row}
	a.x = of(&a.row, &a.values)
	return &a.x
}

// summaries is a list page: the summary of each row's answer form, with the
// derived values in one allocation for the page; the members point into
// rows. Only the summaries are kept: once inlined, the answer forms stay on
// the stack.
func summaries[R, V, X, S any](rows []R, of func(*R, *V) X, summary func(*X) S) []S {
	page := make([]S, len(rows))
	values := make([]V, len(rows))
	for i := range rows {
		x := of(&rows[i], &values[i])
		page[i] = summary(&x)
	}
	return page
}

// stamp stores t, truncated to the millisecond the wire carries, in *d.
func stamp(d *api.Time, t time.Time) *api.Time {
	*d = api.Time{Time: t.Truncate(time.Millisecond)}
	return d
}

// stampOrNil is stamp, or nil for the zero time (a member that has no value
// yet).
func stampOrNil(d *api.Time, t time.Time) *api.Time {
	if t.IsZero() {
		return nil
	}
	return stamp(d, t)
}
