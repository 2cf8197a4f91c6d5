package auth

import (
	"testing"
	"time"

	"github.com/openproton/openproton/internal/fault"
)

// TestRunCredentials: while a CodeBuild run lasts, its credentials act as
// the role's account on behalf of its deployment, in either mode, and
// their signature is verified; once the run ends they are nobody's.
func TestRunCredentials(t *testing.T) {
	for _, c := range []Config{
		{Mode: "open"},
		{Mode: "sigv4", CredentialsFile: "testdata/credentials.yaml"},
	} {
		t.Run(c.Mode, func(t *testing.T) {
			runs := NewRuns()
			c.Runs, c.Now = runs, fixedClock(signTime.Add(time.Minute))
			a := mustNew(t, c)
			body := []byte(`{}`)
			remove := runs.Add("ASIARUN", "run-secret", "222222222222", "d-1")
			got, err := a.Authenticate(signed(t, "ASIARUN", "run-secret", "proton", "us-east-1", body), body)
			if err != nil {
				t.Fatal(err)
			}
			want := Caller{Account: "222222222222", Region: "us-east-1", Partition: "aws", AccessKey: "ASIARUN", Deployment: "d-1"}
			if got != want {
				t.Errorf("Caller = %+v, want %+v", got, want)
			}
			_, err = a.Authenticate(signed(t, "ASIARUN", "guessed", "proton", "us-east-1", body), body)
			checkFault(t, err, fault.InvalidSignature, "")

			remove()
			got, err = a.Authenticate(signed(t, "ASIARUN", "run-secret", "proton", "us-east-1", body), body)
			if c.Mode == "sigv4" {
				checkFault(t, err, fault.UnrecognizedClient, "")
			} else if err != nil || got.Deployment != "" || got.Account != DefaultAccount {
				t.Errorf("after the run: %+v, %v; want the default account, no deployment", got, err)
			}
		})
	}
}
