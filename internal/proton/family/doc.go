// Package family holds the small pieces that the Service and worker of every
// resource family (connections, templates, environments) share: the clock
// as the store keeps time, id generation, and the wrapping of store failures
// that are outside the store's contract. The rules of each family stay in
// its own package.
package family
