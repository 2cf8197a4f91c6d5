package provision

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
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

var stack = Stack{Account: "123456789012", Region: "eu-west-1"}

// TestCloudFormationOutputsKeepsPlainValues: an output whose value is
// plain text once rendered is recorded as it is.
func TestCloudFormationOutputsKeepsPlainValues(t *testing.T) {
	got, err := CloudFormationOutputs(cfn, stack)
	if err != nil {
		t.Fatal(err)
	}
	want := []Output{{"Arn", "emulated:VPC.Arn"}, {"Port", "8080"}, {"VpcCidr", "10.0.0.0/16"}, {"VpcId", "emulated:VPC.Ref"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	json := `{"Outputs": {"A": {"Value": "x"}, "B": {"Value": {"Ref": "VPC"}}, "C": {"Value": {"Fn::GetAtt": ["VPC", "CidrBlock"]}}}}`
	got, err = CloudFormationOutputs(json, stack)
	if err != nil || !reflect.DeepEqual(got, []Output{{"A", "x"}, {"B", "emulated:VPC.Ref"}, {"C", "emulated:VPC.CidrBlock"}}) {
		t.Fatalf("JSON template: %v, %v", got, err)
	}
	if _, err := CloudFormationOutputs("- a list", stack); err == nil {
		t.Fatal("a list is not a template")
	}
	if _, err := CloudFormationOutputs("Outputs: [unclosed", stack); err == nil {
		t.Fatal("invalid YAML accepted")
	}
}

// TestCloudFormationOutputsResolveWhatTheyCan: an output that only
// CloudFormation could resolve gets a placeholder that names what it stands
// for, the same every time; what the template itself says (a parameter's
// default, a mapping, the pseudo parameters of the stack's account and
// region) is resolved.
func TestCloudFormationOutputsResolveWhatTheyCan(t *testing.T) {
	template := `Parameters:
  Env:
    Type: String
    Default: beta
  NoDefault:
    Type: String
Mappings:
  Sizes:
    small:
      cpu: 256
Resources:
  Cluster:
    Type: AWS::ECS::Cluster
Outputs:
  Ref: {Value: !Ref Cluster}
  RefLong: {Value: {Ref: Cluster}}
  GetAtt: {Value: !GetAtt Cluster.Arn}
  GetAttList: {Value: !GetAtt [Cluster, Arn]}
  GetAttLong: {Value: {"Fn::GetAtt": [Cluster, Arn]}}
  GetAttNested: {Value: !GetAtt DB.Endpoint.Address}
  Region: {Value: !Ref "AWS::Region"}
  Account: {Value: !Ref AWS::AccountId}
  Partition: {Value: !Ref AWS::Partition}
  URLSuffix: {Value: !Ref AWS::URLSuffix}
  StackName: {Value: !Ref AWS::StackName}
  Param: {Value: !Ref Env}
  ParamNoDefault: {Value: !Ref NoDefault}
  Sub: {Value: !Sub "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/${Cluster}"}
  SubAttr: {Value: !Sub "${Cluster.Arn}/x"}
  SubVars: {Value: !Sub ["${Name}-${Other}", {Name: !Ref Cluster, Other: lit}]}
  SubLiteral: {Value: !Sub "${!Literal}-${Env}"}
  SubLong: {Value: {"Fn::Sub": "${AWS::StackName}-svc"}}
  Join: {Value: !Join [":", [a, !Ref Cluster, !GetAtt Cluster.Arn]]}
  JoinLong: {Value: {"Fn::Join": ["", [{"Ref": "AWS::Region"}, "-x"]]}}
  Select: {Value: !Select [1, [a, !Ref Cluster]]}
  SelectAZ: {Value: !Select [0, !GetAZs ""]}
  Import: {Value: !ImportValue shared-vpc}
  ImportSub: {Value: {"Fn::ImportValue": !Sub "${Env}-vpc"}}
  FindInMap: {Value: !FindInMap [Sizes, small, cpu]}
  FindInMapUnknown: {Value: !FindInMap [Sizes, !Ref Env, cpu]}
  If: {Value: !If [IsProd, a, b]}
  Base64: {Value: !Base64 abc}
  NotAValue: {Value: {a: 1, b: 2}}
  AList: {Value: [a, b]}
`
	want := []Output{
		{"Account", "123456789012"},
		{"Base64", "emulated:Fn::Base64"},
		{"FindInMap", "256"},
		{"FindInMapUnknown", "emulated:Fn::FindInMap"},
		{"GetAtt", "emulated:Cluster.Arn"},
		{"GetAttList", "emulated:Cluster.Arn"},
		{"GetAttLong", "emulated:Cluster.Arn"},
		{"GetAttNested", "emulated:DB.Endpoint.Address"},
		{"If", "emulated:Fn::If"},
		{"Import", "emulated:ImportValue.shared-vpc"},
		{"ImportSub", "emulated:ImportValue.beta-vpc"},
		{"Join", "a:emulated:Cluster.Ref:emulated:Cluster.Arn"},
		{"JoinLong", "eu-west-1-x"},
		{"Param", "beta"},
		{"ParamNoDefault", "emulated:NoDefault.Ref"},
		{"Partition", "aws"},
		{"Ref", "emulated:Cluster.Ref"},
		{"RefLong", "emulated:Cluster.Ref"},
		{"Region", "eu-west-1"},
		{"Select", "emulated:Cluster.Ref"},
		{"SelectAZ", "emulated:Fn::Select"},
		{"StackName", "emulated:AWS::StackName"},
		{"Sub", "arn:aws:ecs:eu-west-1:123456789012:cluster/emulated:Cluster.Ref"},
		{"SubAttr", "emulated:Cluster.Arn/x"},
		{"SubLiteral", "${Literal}-beta"},
		{"SubLong", "emulated:AWS::StackName-svc"},
		{"SubVars", "emulated:Cluster.Ref-lit"},
		{"URLSuffix", "amazonaws.com"},
	}
	for i := 0; i < 2; i++ {
		got, err := CloudFormationOutputs(template, stack)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got  %v\nwant %v", got, want)
		}
	}
	cn, err := CloudFormationOutputs("Outputs:\n  P: {Value: !Ref AWS::Partition}\n  U: {Value: !Ref AWS::URLSuffix}\n", Stack{Region: "cn-north-1"})
	if err != nil || !reflect.DeepEqual(cn, []Output{{"P", "aws-cn"}, {"U", "amazonaws.com.cn"}}) {
		t.Fatalf("China: %v, %v", cn, err)
	}
}

func TestEmulateWaitsAndStops(t *testing.T) {
	e := Emulate{Delay: 20 * time.Millisecond}
	start := time.Now()
	res, err := e.Run(context.Background(), Request{Action: Deploy, Files: []File{{Path: "cloudformation.yaml", Content: cfn, Language: "cloudformation"}}})
	if err != nil || len(res.Outputs) != 4 || time.Since(start) < 20*time.Millisecond {
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
		_, err := CloudFormationOutputs(tmpl, stack)
		if err == nil || err.Error() != want {
			t.Errorf("CloudFormationOutputs(%q) = %v, want %q", tmpl, err, want)
		}
	}
}

// TestCloudFormationOutputsStayBounded: a rendered template is the
// template author's, and aliases of aliases make a value that doubles at
// every step; resolving it stops early and leaves the output out, as it
// leaves out any value longer than an output may be.
func TestCloudFormationOutputsStayBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("Mappings:\n  M:\n    a0: &a0 xxxxxxxxxxxxxxxx\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "    a%d: &a%d !Join ['', [*a%d, *a%d]]\n", i, i, i-1, i-1)
	}
	b.WriteString("Outputs:\n  Big:\n    Value: *a40\n  Long:\n    Value: !Join ['', [*a6, *a6]]\n  Fine:\n    Value: !Join ['', [*a5, *a5]]\n")
	start := time.Now()
	got, err := CloudFormationOutputs(b.String(), stack)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Key != "Fine" || len(got[0].Value) != 1024 {
		t.Fatalf("outputs %v, want only Fine, of 1,024 characters", got)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("took %s", took)
	}
}

// TestCloudFormationOutputsPolicyRef checks that !Ref of an IAM managed
// policy (AWS's S3 bucket component sample) is a policy ARN of the stack's
// account, which proton_cfn_iam_policy_arns keeps, and that other !Ref
// values stay placeholders.
func TestCloudFormationOutputsPolicyRef(t *testing.T) {
	tpl := `Resources:
  Bucket:
    Type: AWS::S3::Bucket
  Policy:
    Type: AWS::IAM::ManagedPolicy
Outputs:
  BucketName:
    Value: !Ref Bucket
  PolicyArn:
    Value: !Ref Policy
`
	got, err := CloudFormationOutputs(tpl, Stack{Account: "123456789012", Region: "us-east-1"})
	want := []Output{{"BucketName", "emulated:Bucket.Ref"}, {"PolicyArn", "arn:aws:iam::123456789012:policy/emulated/Policy"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
	if got, _ := CloudFormationOutputs(tpl, Stack{}); got[1].Value != "emulated:Policy.Ref" {
		t.Errorf("without an account: %v, want the placeholder", got)
	}
}
