// Package connections implements environment account connections: the
// cross-account handshake in which an environment account (E) asks a
// management account (M) to provision into it, and M accepts or rejects.
//
// Rules (AWS Proton's documented behaviour, with the product's decisions
// where AWS was silent; docs/compatibility.md lists them):
//   - E creates, updates and deletes; M accepts and rejects; both read. A
//     wrong party gets AccessDeniedException naming who may act; any other
//     account gets ResourceNotFoundException, so existence never leaks.
//   - PENDING → CONNECTED (accept) or REJECTED (reject); CONNECTED → REJECTED
//     unless an environment uses the connection; REJECTED is terminal. Accept
//     of CONNECTED and reject of REJECTED return the connection unchanged.
//   - State changes are conditional on the state the caller observed, so
//     racing changes end with one winner; a loser whose change no longer
//     applies gets ConflictException.
//   - A connection lives in the region where it was created.
package connections
