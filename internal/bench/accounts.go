package bench

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// Accounts are the callers of a run: a few management accounts, which
// accept, reject and list, and many environment accounts, which create.
// Each account has its own access key in the server's credentials file.
type Accounts struct {
	Management  []Key
	Environment []Key
}

// NewAccounts makes management+environment keys with random secrets.
// Account ids are 12 digits: management ones start with 2, environment ones
// with 1.
func NewAccounts(management, environment int) Accounts {
	var a Accounts
	for i := range management {
		a.Management = append(a.Management, newKey("AKIABENCHMGMT", i, 200000000000+i))
	}
	for i := range environment {
		a.Environment = append(a.Environment, newKey("AKIABENCHENV", i, 100000000000+i))
	}
	return a
}

func newKey(prefix string, i, account int) Key {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return Key{
		AccessKeyID: fmt.Sprintf("%s%07d", prefix, i),
		Secret:      hex.EncodeToString(b[:]),
		Account:     fmt.Sprintf("%012d", account),
	}
}

// WriteCredentials writes the keys as an openproton credentials file.
func (a Accounts) WriteCredentials(path string) error {
	var b strings.Builder
	b.WriteString("credentials:\n")
	for _, k := range append(append([]Key(nil), a.Management...), a.Environment...) {
		fmt.Fprintf(&b, "  - accessKeyId: %s\n    secretAccessKey: %q\n    accountId: %q\n", k.AccessKeyID, k.Secret, k.Account)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}
