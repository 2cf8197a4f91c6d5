package awsjson

import "context"

// RequestInfo is what the protocol layer learns about a request, for the
// access log: the server's middleware creates it and logs it when the request
// ends.
type RequestInfo struct {
	RequestID string
	Operation string
	Account   string
	Region    string
	Status    int
	ErrorCode string
}

type infoKey struct{}

// WithRequestInfo returns a context carrying info, which the protocol layer fills in.
func WithRequestInfo(ctx context.Context, info *RequestInfo) context.Context {
	return context.WithValue(ctx, infoKey{}, info)
}

// requestInfo returns the RequestInfo of ctx, or a throw-away one.
func requestInfo(ctx context.Context) *RequestInfo {
	if info, ok := ctx.Value(infoKey{}).(*RequestInfo); ok {
		return info
	}
	return &RequestInfo{}
}
