package auth

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// accountPattern is the shape of an AWS account ID.
var accountPattern = regexp.MustCompile(`^[0-9]{12}$`)

// credentialsFile is the layout of the sigv4-mode credentials file. JSON
// works too, since JSON is YAML.
type credentialsFile struct {
	Credentials []credentialEntry `yaml:"credentials"`
}

type credentialEntry struct {
	AccessKeyID     string `yaml:"accessKeyId"`
	SecretAccessKey string `yaml:"secretAccessKey"`
	AccountID       string `yaml:"accountId"`
}

// credential is what an access key stands for.
type credential struct {
	secret  string
	account string
}

// loadCredentials reads and validates the credentials file, keyed by access
// key ID. Every error is one line naming the file and the bad entry, and
// never includes a secret.
func loadCredentials(path string) (map[string]credential, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("credentials file: %w", err)
	}
	var f credentialsFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	// A misspelt field name would otherwise leave a key without its secret
	// or account and only show up as refused requests.
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("credentials file %s: %s", path, decodeError(err))
	}
	if len(f.Credentials) == 0 {
		return nil, fmt.Errorf("credentials file %s: no entries under 'credentials'; sigv4 mode would refuse every request", path)
	}

	creds := make(map[string]credential, len(f.Credentials))
	firstEntry := make(map[string]int, len(f.Credentials))
	for i, e := range f.Credentials {
		n := i + 1
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("credentials file %s: %s: %w", path, e.describe(n), err)
		}
		if prev, dup := firstEntry[e.AccessKeyID]; dup {
			return nil, fmt.Errorf("credentials file %s: %s: accessKeyId already used by entry %d", path, e.describe(n), prev)
		}
		firstEntry[e.AccessKeyID] = n
		creds[e.AccessKeyID] = credential{secret: e.SecretAccessKey, account: e.AccountID}
	}
	return creds, nil
}

func (e credentialEntry) validate() error {
	switch {
	case e.AccessKeyID == "":
		return errors.New("accessKeyId is empty")
	case strings.ContainsAny(e.AccessKeyID, "/, \t"):
		// Such a key cannot be written into a SigV4 Credential, so no
		// request could ever use it.
		return errors.New("accessKeyId must not contain '/', ',' or spaces")
	case e.SecretAccessKey == "":
		return errors.New("secretAccessKey is empty")
	case !accountPattern.MatchString(e.AccountID):
		return fmt.Errorf("accountId %q must be 12 digits", e.AccountID)
	}
	return nil
}

// describe names an entry by position and, when it has one, access key ID.
func (e credentialEntry) describe(n int) string {
	if e.AccessKeyID == "" {
		return fmt.Sprintf("entry %d", n)
	}
	return fmt.Sprintf("entry %d (accessKeyId %q)", n, e.AccessKeyID)
}

// decodeError folds the multi-line errors of the YAML decoder into one line
// so a start-up failure stays on one log line.
func decodeError(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return "yaml: " + strings.Join(te.Errors, "; ")
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}
