package awsjson

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/openproton/openproton/internal/api"
	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
)

// TargetPrefix is the X-Amz-Target prefix of the Proton API.
const TargetPrefix = "AwsProton20200720."

// ContentType is the media type of every request and response body.
const ContentType = "application/x-amz-json-1.0"

// Authenticator establishes the caller of a request from its headers and body.
type Authenticator interface {
	Authenticate(r *http.Request, body []byte) (auth.Caller, error)
}

// Handler serves the Proton API over AWS JSON 1.0.
type Handler struct {
	Service      api.ProtonService
	Auth         Authenticator
	MaxBodyBytes int64
	Logger       *slog.Logger

	buffers sync.Pool // of *[]byte: answer bodies, reused
}

// ServeHTTP runs the checks in their fixed order, then the operation.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info := requestInfo(r.Context())
	if info.RequestID == "" {
		info.RequestID = uuid.NewString()
		w.Header().Set("x-amzn-RequestId", info.RequestID)
	}
	out, err := h.serve(r, info)
	if err != nil {
		h.writeError(w, r, info, err)
		return
	}
	buf := h.buffer()
	defer h.release(buf)
	body := []byte("{}")
	if out != nil {
		if body, err = encode((*buf)[:0], out); err != nil {
			h.writeError(w, r, info, fmt.Errorf("encode %s output: %w", info.Operation, err))
			return
		}
		*buf = body
	}
	info.Status = http.StatusOK
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// maxPooledBuffer bounds the answer buffers kept for reuse, so that one
// huge answer does not stay in memory.
const maxPooledBuffer = 256 << 10

// buffer returns a buffer for an answer's body. Reusing them spares the
// allocation and growth of a 40 KiB page of 100 connections on every List.
func (h *Handler) buffer() *[]byte {
	if b, ok := h.buffers.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 4096)
	return &b
}

// release returns a buffer once the body has been written: Write copies it.
func (h *Handler) release(b *[]byte) {
	if cap(*b) <= maxPooledBuffer {
		*b = (*b)[:0]
		h.buffers.Put(b)
	}
}

// encode appends an operation's output to b as JSON. Every generated
// output has an AppendJSON method that writes what json.Marshal would,
// without reflection (see internal/api/encode.go); json.Marshal remains
// for any other value.
func encode(b []byte, out any) ([]byte, error) {
	if a, ok := out.(interface{ AppendJSON([]byte) []byte }); ok {
		return a.AppendJSON(b), nil
	}
	j, err := json.Marshal(out)
	return append(b, j...), err
}

func (h *Handler) serve(r *http.Request, info *RequestInfo) (any, error) {
	if r.URL.Path != "/" {
		return nil, fault.New(fault.UnknownOperation, "No operation is served at path %q; the Proton API is served at /.", fault.Echo(r.URL.Path))
	}
	if r.Method != http.MethodPost {
		return nil, fault.New(fault.MethodNotAllowed, "The Proton API accepts only POST requests, not %s.", fault.Echo(r.Method))
	}
	target := r.Header.Get("X-Amz-Target")
	if target == "" {
		return nil, fault.New(fault.UnknownOperation, "Missing X-Amz-Target header.")
	}
	name, ok := strings.CutPrefix(target, TargetPrefix)
	op, known := api.LookupOperation(name)
	if !ok || !known {
		return nil, fault.New(fault.UnknownOperation, "Unknown operation %q.", fault.Echo(target))
	}
	info.Operation = op.Name

	body, err := h.readBody(r)
	if err != nil {
		return nil, err
	}
	caller, err := h.Auth.Authenticate(r, body)
	if err != nil {
		return nil, err
	}
	info.Account, info.Region = caller.Account, caller.Region

	in := op.NewInput()
	if err := api.Decode(body, in); err != nil {
		return nil, fault.New(fault.Serialization, "Cannot deserialize the %s request: %s", op.Name, err.Error())
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return op.Call(auth.WithCaller(r.Context(), caller), h.Service, in)
}

// readBody reads the whole body, refusing one larger than MaxBodyBytes.
func (h *Handler) readBody(r *http.Request) ([]byte, error) {
	tooLarge := fault.New(fault.RequestTooLarge, "Request body is larger than the limit of %d bytes.", h.MaxBodyBytes)
	if r.ContentLength > h.MaxBodyBytes {
		return nil, tooLarge
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, h.MaxBodyBytes+1))
	if err != nil {
		return nil, fault.New(fault.Serialization, "Cannot read the request body: %v", err)
	}
	if int64(len(body)) > h.MaxBodyBytes {
		return nil, tooLarge
	}
	return body, nil
}

// writeError answers with the wire form of err. Errors without a Code are
// server faults: they are logged and their text is not shown to the caller.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, info *RequestInfo, err error) {
	fe, ok := fault.As(err)
	if ok && fe.Code == fault.MethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	if !ok {
		h.Logger.ErrorContext(r.Context(), "internal error", "request_id", info.RequestID, "operation", info.Operation, "error", err)
		fe = fault.New(fault.Internal, "An internal error occurred. Request ID: %s", info.RequestID)
	}
	WriteError(w, fe)
	info.Status = Status(fe.Code)
	info.ErrorCode = string(fe.Code)
}

// WriteError writes e as an AWS JSON 1.0 error response.
func WriteError(w http.ResponseWriter, e *fault.Error) {
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{string(e.Code), e.Message})
	hdr := w.Header()
	hdr.Set("Content-Type", ContentType)
	hdr.Set("x-amzn-ErrorType", string(e.Code))
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(Status(e.Code))
	_, _ = w.Write(body)
}
