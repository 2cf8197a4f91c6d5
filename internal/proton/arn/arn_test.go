package arn

import "testing"

func TestRoundTrip(t *testing.T) {
	for _, region := range []string{"us-east-1", "cn-north-1", "us-gov-west-1"} {
		a := New(region, "111111111111", "environment-account-connection/abc")
		got, ok := Parse(a.String())
		if !ok || got != a {
			t.Fatalf("Parse(%q) = %+v, %v", a.String(), got, ok)
		}
		if got.Type() != "environment-account-connection" || got.ID() != "abc" {
			t.Fatalf("Type/ID of %q = %q/%q", a, got.Type(), got.ID())
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{
		"", "arn:aws:iam::111111111111:role/x", "arn:aws:proton:us-east-1:111111111111",
		"arn:aws-cn:proton:us-east-1:111111111111:environment/x", "arn:aws:proton::111111111111:environment/x",
	} {
		if _, ok := Parse(s); ok {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
}
