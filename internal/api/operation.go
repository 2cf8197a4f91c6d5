package api

import (
	"context"

	"github.com/openproton/openproton/internal/fault"
)

// Input is the input structure of an operation.
type Input interface {
	// Validate checks every constraint of the model and returns one
	// fault.Validation error listing all violations, or nil.
	Validate() error
}

// Operation describes one operation of the model.
type Operation struct {
	Name             string
	Idempotent       bool     // marked idempotent in the model
	IdempotencyToken string   // wire name of the idempotency-token member, if any
	Errors           []string // modelled error shapes
	NewInput         func() Input
	call             func(ctx context.Context, s ProtonService, in Input) (any, error)
}

// Call invokes the operation on s. A nil output with a nil error means the
// operation answered with an empty output.
func (o Operation) Call(ctx context.Context, s ProtonService, in Input) (any, error) {
	return o.call(ctx, s, in)
}

// LookupOperation finds an operation by name.
func LookupOperation(name string) (Operation, bool) {
	i := operationIndex(name)
	if i < 0 {
		return Operation{}, false
	}
	return operations[i], true
}

// Operations lists every operation of the model in lexical order.
func Operations() []Operation {
	return append([]Operation(nil), operations[:]...)
}

func notImplemented(op string) error {
	return fault.New(fault.NotImplemented, "The operation %s is not implemented by this openproton server yet.", op)
}
