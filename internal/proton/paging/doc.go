// Package paging holds what the list operations of every resource family
// share: the page size rule, the binding of a nextToken to the query that
// issued it, the positions tokens carry, cutting a page from rows read one
// past it, and the modelled error for a token that fails its check. Each
// family keeps its own order, filters and position in its list.
package paging
