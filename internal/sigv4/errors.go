package sigv4

// Kind classifies a verification failure the way AWS front ends do, so the
// caller can map it to MissingAuthenticationToken, IncompleteSignature or
// InvalidSignature without parsing messages.
type Kind int

const (
	// Missing means the request carries no Authorization header at all.
	Missing Kind = iota + 1
	// Incomplete means the Authorization header or the request date is
	// malformed, so there is nothing to verify.
	Incomplete
	// Invalid means the header is well formed but does not hold up: wrong
	// scope, expired, or the signature does not match.
	Invalid
)

// String returns the name of the kind.
func (k Kind) String() string {
	switch k {
	case Missing:
		return "Missing"
	case Incomplete:
		return "Incomplete"
	case Invalid:
		return "Invalid"
	}
	return "Unknown"
}

// Error is a verification failure. Message is meant for the client.
type Error struct {
	Kind    Kind
	Message string
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

func incomplete(msg string) *Error { return &Error{Kind: Incomplete, Message: msg} }

func invalid(msg string) *Error { return &Error{Kind: Invalid, Message: msg} }
