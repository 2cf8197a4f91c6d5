package bundle

import (
	"errors"
	"strings"
	"testing"

	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// f is a regular file entry, short for the tables of bundles in these tests.
func f(name, body string) bundletest.Entry { return bundletest.File(name, body) }

// wantProblem fails unless err is a *Problem containing want.
func wantProblem(t *testing.T, err error, want string) {
	t.Helper()
	var p *Problem
	if !errors.As(err, &p) {
		t.Fatalf("want *Problem containing %q, got %T %v", want, err, err)
	}
	if !strings.Contains(p.Msg, want) {
		t.Fatalf("problem %q does not contain %q", p.Msg, want)
	}
}

// wantSpecProblems fails unless err is a *SpecError holding exactly want.
func wantSpecProblems(t *testing.T, err error, want ...string) {
	t.Helper()
	var se *SpecError
	if !errors.As(err, &se) {
		t.Fatalf("want *SpecError %q, got %T %v", want, err, err)
	}
	if strings.Join(se.Problems, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n  %s\nwant:\n  %s", strings.Join(se.Problems, "\n  "), strings.Join(want, "\n  "))
	}
}

const envSchema = `schema:
  format:
    openapi: "3.0.0"
  environment_input_type: "EnvInput"
  types:
    EnvInput:
      type: object
      description: "Inputs of the environment"
      properties:
        vpc_cidr:
          type: string
          default: "10.0.0.0/16"
          pattern: '^([0-9]{1,3}\.){3}[0-9]{1,3}($|/(16|24))$'
        size:
          type: string
          enum: ["small", "medium", "large"]
          default: "small"
        replicas:
          type: integer
          minimum: 1
          maximum: 10
        name_prefix:
          type: string
          minLength: 3
          maxLength: 8
        ratio:
          type: number
        enabled:
          type: boolean
          default: true
        subnets:
          type: array
          items:
            type: string
            pattern: '^subnet-'
          minItems: 1
          maxItems: 3
          uniqueItems: true
        tags:
          type: object
          properties:
            owner:
              type: string
            team:
              type: string
              default: "platform"
          required: [owner]
      required:
        - replicas
`

const cfnTemplate = `AWSTemplateFormatVersion: '2010-09-09'
Resources:
  VPC:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: '{{ environment.inputs.vpc_cidr }}'
{% if environment.inputs.enabled %}
  Extra:
    Type: AWS::SNS::Topic
{% endif %}
Outputs:
  VpcId:
    Value: !Ref VPC
    Name: {{ environment.name }}-vpc
`

// envBundle is a good CloudFormation environment bundle.
func envBundle(t testing.TB, extra ...bundletest.Entry) []byte {
	return bundletest.TarGz(t, append([]bundletest.Entry{
		f("schema/schema.yaml", envSchema),
		f("infrastructure/manifest.yaml", bundletest.CFNManifest),
		f("infrastructure/cloudformation.yaml", cfnTemplate),
	}, extra...)...)
}
