// Package scripts tests the shell scripts of scripts/ against small
// throw-away modules, so that a script that would let a failure pass
// silently is caught by `go test`.
package scripts
