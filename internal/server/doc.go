// Package server assembles openproton: configuration, the store, the domain
// services, the protocol handler and the HTTP server with its middleware
// (panic recovery, request id, access log), health endpoint and graceful
// shutdown.
package server
