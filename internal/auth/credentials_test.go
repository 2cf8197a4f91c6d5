package auth

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadCredentials(t *testing.T) {
	want := map[string]credential{
		"AKIAMANAGEMENT000001": {secret: "management/secret+key", account: "111111111111"},
		"AKIAENVIRONMENT00002": {secret: "environment-secret", account: "012345678901"},
	}
	for _, file := range []string{"testdata/credentials.yaml", "testdata/credentials.json"} {
		got, err := loadCredentials(file)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v, want %+v", file, got, want)
		}
	}
}

func TestLoadCredentialsRejects(t *testing.T) {
	tests := []struct {
		name, content, message string
	}{
		{"empty file", "", "no entries under 'credentials'"},
		{"empty list", "credentials: []", "no entries under 'credentials'"},
		{"not yaml", "credentials: [", "credentials file "},
		{"wrong shape", "credentials: {accessKeyId: a}", "cannot unmarshal"},
		{"misspelt fields", "credentials:\n  - accessKeyId: A\n    secretKey: s\n    account: '111111111111'",
			"yaml: line 3: field secretKey not found in type auth.credentialEntry; line 4: field account not found"},
		{"missing key", "credentials:\n  - secretAccessKey: s\n    accountId: '111111111111'", "entry 1: accessKeyId is empty"},
		{"key with slash", "credentials:\n  - accessKeyId: A/B\n    secretAccessKey: s\n    accountId: '111111111111'",
			`entry 1 (accessKeyId "A/B"): accessKeyId must not contain '/', ',' or spaces`},
		{"missing secret", "credentials:\n  - accessKeyId: A\n    accountId: '111111111111'", `entry 1 (accessKeyId "A"): secretAccessKey is empty`},
		{"short account", "credentials:\n  - accessKeyId: A\n    secretAccessKey: s\n    accountId: '12345'", `entry 1 (accessKeyId "A"): accountId "12345" must be 12 digits`},
		{"missing account", "credentials:\n  - accessKeyId: A\n    secretAccessKey: s", `entry 1 (accessKeyId "A"): accountId "" must be 12 digits`},
		{"account with letters", `{"credentials":[{"accessKeyId":"A","secretAccessKey":"s","accountId":"12345678901x"}]}`, `accountId "12345678901x" must be 12 digits`},
		{"duplicate key", "credentials:\n" +
			"  - {accessKeyId: A, secretAccessKey: s1, accountId: '111111111111'}\n" +
			"  - {accessKeyId: B, secretAccessKey: s2, accountId: '222222222222'}\n" +
			"  - {accessKeyId: A, secretAccessKey: s3, accountId: '333333333333'}",
			`entry 3 (accessKeyId "A"): accessKeyId already used by entry 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "creds.yaml")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := loadCredentials(path)
			if err == nil {
				t.Fatal("loadCredentials succeeded, want error")
			}
			msg := err.Error()
			if !strings.Contains(msg, path) || !strings.Contains(msg, tt.message) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming %s and containing %q", msg, path, tt.message)
			}
			for _, secret := range []string{"s1", "s2", "s3"} {
				if strings.Contains(msg, "secretAccessKey: "+secret) || strings.Contains(msg, `"`+secret+`"`) {
					t.Errorf("error %q reveals a secret", msg)
				}
			}
		})
	}
}

func TestLoadCredentialsMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.yaml")
	_, err := loadCredentials(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v, want one naming %s", err, path)
	}
}
