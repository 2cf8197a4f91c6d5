// Package fault defines the typed errors that every layer of openproton returns.
//
// Domain packages, the store, authentication and the protocol layer all speak
// in terms of a Code; the awsjson package maps each Code to its wire name and
// HTTP status in exactly one table. Nothing below the protocol layer knows
// about HTTP.
package fault

import (
	"errors"
	"fmt"
)

// Code names a kind of failure. The modelled Proton exceptions use the
// exception's shape name; the unmodelled front-end errors use the names AWS
// front ends send.
type Code string

// Modelled Proton exceptions (the seven error shapes of the service model).
const (
	Validation    Code = "ValidationException"
	AccessDenied  Code = "AccessDeniedException"
	NotFound      Code = "ResourceNotFoundException"
	Conflict      Code = "ConflictException"
	QuotaExceeded Code = "ServiceQuotaExceededException"
	Throttling    Code = "ThrottlingException"
	Internal      Code = "InternalServerException"
)

// Unmodelled errors raised before a request reaches an operation, or for an
// operation that is not built yet.
const (
	UnknownOperation           Code = "UnknownOperationException"
	Serialization              Code = "SerializationException"
	MissingAuthenticationToken Code = "MissingAuthenticationTokenException"
	IncompleteSignature        Code = "IncompleteSignatureException"
	InvalidSignature           Code = "InvalidSignatureException"
	UnrecognizedClient         Code = "UnrecognizedClientException"
	RequestTooLarge            Code = "RequestEntityTooLargeException"
	MethodNotAllowed           Code = "MethodNotAllowedException"
	NotImplemented             Code = "NotImplementedException"
)

// Error is a failure with a Code and a message meant for the caller.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// New returns an Error with a formatted message.
func New(code Code, format string, args ...any) *Error {
	if len(args) == 0 {
		return &Error{Code: code, Message: format}
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// As reports the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// CodeOf returns the Code of err, or Internal when err carries none.
func CodeOf(err error) Code {
	if e, ok := As(err); ok {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries the given Code.
func Is(err error, code Code) bool {
	e, ok := As(err)
	return ok && e.Code == code
}
