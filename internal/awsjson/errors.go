package awsjson

import (
	"net/http"

	"github.com/openproton/openproton/internal/fault"
)

// statusByCode is the one table from error Code to HTTP status. Modelled
// exceptions use the status of AWS's Smithy model; the unmodelled front-end
// errors use what AWS front ends send. Only server faults are 5xx.
var statusByCode = map[fault.Code]int{
	fault.Validation:                 http.StatusBadRequest,
	fault.AccessDenied:               http.StatusForbidden,
	fault.NotFound:                   http.StatusNotFound,
	fault.Conflict:                   http.StatusConflict,
	fault.QuotaExceeded:              http.StatusPaymentRequired,
	fault.Throttling:                 http.StatusTooManyRequests,
	fault.Internal:                   http.StatusInternalServerError,
	fault.UnknownOperation:           http.StatusBadRequest,
	fault.Serialization:              http.StatusBadRequest,
	fault.MissingAuthenticationToken: http.StatusForbidden,
	fault.IncompleteSignature:        http.StatusBadRequest,
	fault.InvalidSignature:           http.StatusForbidden,
	fault.UnrecognizedClient:         http.StatusForbidden,
	fault.RequestTooLarge:            http.StatusRequestEntityTooLarge,
	fault.MethodNotAllowed:           http.StatusMethodNotAllowed,
	fault.NotImplemented:             http.StatusNotImplemented,
}

// Status returns the HTTP status for an error Code; unknown codes are server
// faults.
func Status(code fault.Code) int {
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Mapped reports whether code has an entry in the table.
func Mapped(code fault.Code) bool {
	_, ok := statusByCode[code]
	return ok
}
