// Package handlers implements api.ProtonService: thin functions, one file per
// resource family, that turn generated inputs into domain calls and domain
// results into generated outputs. Operations not built yet fall through to
// api.UnimplementedService and answer NotImplementedException.
package handlers
