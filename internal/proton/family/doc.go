// Package family holds what every resource family shares: the declaration
// (Family) that each family's Service gives of itself, and the small pieces
// that the Service and worker of every family use: the clock as the store
// keeps time, id generation, and the wrapping of store failures that are
// outside the store's contract. The rules of each family stay in its own
// package.
package family
