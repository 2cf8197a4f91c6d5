// Package proton is the root of openproton's domain packages: one package per
// resource family (connections, tagging, ...), holding the rules and state
// machines of AWS Proton as plain Go, with no knowledge of HTTP. They return
// fault.Errors and keep their state through the narrow interfaces of package
// store.
package proton
