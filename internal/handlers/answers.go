package handlers

import (
	"time"

	"github.com/openproton/openproton/internal/api"
)

// Each resource has one mapping from its store row to its answer form, a
// function of(row, answer) that fills *answer and returns the api value
// inside it. Members point into the row and into the answer instead of into
// copies of their own: an answer has a pointer per member, and a page of 100
// would otherwise make one small allocation for each (about 1,900 for a page
// of environments). Both must outlive what is returned.

// one is the answer form of a single row: the row's copy, the derived values
// and the api value in one allocation.
func one[R, A, X any](row R, of func(*R, *A) *X) *X {
	v := &struct {
		row R
		a   A
	}{row: row}
	return of(&v.row, &v.a)
}

// summaries is a list page: the Summary of each row's answer form, with the
// answers in one allocation for the page; the members point into rows.
func summaries[R, A any, X interface{ Summary() S }, S any](rows []R, of func(*R, *A) X) []S {
	page := make([]S, len(rows))
	answers := make([]A, len(rows))
	for i := range rows {
		page[i] = of(&rows[i], &answers[i]).Summary()
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
