package provision

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

const cfn = `AWSTemplateFormatVersion: '2010-09-09'
Resources:
  VPC:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/16
Outputs:
  VpcCidr:
    Value: 10.0.0.0/16
  Port:
    Value: 8080
  VpcId:
    Value: !Ref VPC
  Arn:
    Value:
      Fn::GetAtt: [VPC, Arn]
  Empty:
    Value: ""
`

func TestCloudFormationOutputsKeepsPlainValues(t *testing.T) {
	got, err := CloudFormationOutputs(cfn)
	if err != nil {
		t.Fatal(err)
	}
	want := []Output{{"Port", "8080"}, {"VpcCidr", "10.0.0.0/16"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	json := `{"Outputs": {"A": {"Value": "x"}, "B": {"Value": {"Ref": "VPC"}}}}`
	got, err = CloudFormationOutputs(json)
	if err != nil || !reflect.DeepEqual(got, []Output{{"A", "x"}}) {
		t.Fatalf("JSON template: %v, %v", got, err)
	}
	if _, err := CloudFormationOutputs("- a list"); err == nil {
		t.Fatal("a list is not a template")
	}
	if _, err := CloudFormationOutputs("Outputs: [unclosed"); err == nil {
		t.Fatal("invalid YAML accepted")
	}
}

func TestEmulateWaitsAndStops(t *testing.T) {
	e := Emulate{Delay: 20 * time.Millisecond}
	start := time.Now()
	res, err := e.Run(context.Background(), Request{Action: Deploy, Files: []File{{Path: "cloudformation.yaml", Content: cfn, Language: "cloudformation"}}})
	if err != nil || len(res.Outputs) != 2 || time.Since(start) < 20*time.Millisecond {
		t.Fatalf("Run: %v, %v after %s", res, err, time.Since(start))
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("asked to stop")
	cancel(stop)
	_, err = Emulate{Delay: time.Hour}.Run(ctx, Request{Action: Deploy})
	if !errors.Is(err, stop) {
		t.Fatalf("cancelled Run: %v", err)
	}
}

// TestCloudFormationOutputsRefuseNul fails a rendered template whose output
// key or value holds U+0000 (which rendering can produce from an escape),
// with a message that names the output and holds no NUL itself: no store
// could keep such an output alike.
func TestCloudFormationOutputsRefuseNul(t *testing.T) {
	for tmpl, want := range map[string]string{
		"Outputs:\n  Vpc:\n    Value: \"a\\0b\"\n":         `output "Vpc": its value holds the character U+0000 (NUL), which an output cannot hold`,
		"Outputs:\n  \"V\\0\":\n    Value: x\n":            `output "V\x00": its name holds the character U+0000 (NUL), which an output cannot hold`,
		"{\"Outputs\": {\"A\": {\"Value\": \"\\u0000\"}}}": `output "A": its value holds the character U+0000 (NUL), which an output cannot hold`,
	} {
		_, err := CloudFormationOutputs(tmpl)
		if err == nil || err.Error() != want {
			t.Errorf("CloudFormationOutputs(%q) = %v, want %q", tmpl, err, want)
		}
	}
}
