// Package sigv4 verifies AWS Signature Version 4 signatures carried in the
// Authorization header of a request.
//
// It knows nothing about accounts or credentials files: the caller parses the
// header with Parse, checks the credential scope with CheckScope, looks the
// access key up wherever it keeps its keys, and hands the secret to Verify.
// Keeping the steps separate lets a server that does not check signatures
// still read the caller's access key and region from the same parser.
//
// Every failure is an *Error whose Kind tells the caller which front-end
// error to answer with; the messages follow the wording AWS front ends use,
// so clients and users see what they would see against AWS.
package sigv4
