package sigv4

import "testing"

func TestValidRegion(t *testing.T) {
	for _, r := range []string{"us-east-1", "eu-central-1", "us-gov-west-1", "cn-north-1", "ap-southeast-5", "il-central-1", "us-isob-east-1"} {
		if !ValidRegion(r) {
			t.Errorf("ValidRegion(%q) = false, want true", r)
		}
	}
	for _, r := range []string{"", "us-east", "US-EAST-1", "us-east-100", "us_east_1", "east-1", "usa-east-1", "us-east-1 ", "us--east-1", "us-east-1a"} {
		if ValidRegion(r) {
			t.Errorf("ValidRegion(%q) = true, want false", r)
		}
	}
}

func TestCheckScope(t *testing.T) {
	tests := []struct {
		service, region string
		message         string
	}{
		{"proton", "us-east-1", ""},
		{"proton", "us-gov-west-1", ""},
		{"s3", "us-east-1", "Credential should be scoped to correct service: 'proton'. "},
		{"", "us-east-1", "Credential should be scoped to correct service: 'proton'. "},
		{"proton", "moon-1a", "Credential should be scoped to a valid region, not 'moon-1a'. "},
		{"proton", "", "Credential should be scoped to a valid region, not ''. "},
	}
	for _, tt := range tests {
		s := &Signed{Service: tt.service, Region: tt.region}
		err := s.CheckScope("proton")
		if tt.message == "" {
			if err != nil {
				t.Errorf("CheckScope(%s, %s) = %v, want nil", tt.service, tt.region, err)
			}
			continue
		}
		checkError(t, err, Invalid, tt.message)
	}
}
