// Package e2e drives a real openproton process with real clients: boto3 and
// the AWS CLI (Python), @aws-sdk/client-proton (Node.js) and
// aws-sdk-go-v2/service/proton (Go). The Go tests here build the binary once,
// start servers on free loopback ports, and run each client's scripts
// against them.
package e2e
