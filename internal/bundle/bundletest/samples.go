package bundletest

import "testing"

// CFNManifest is the infrastructure manifest of a CloudFormation template
// rendered with Jinja, the usual Proton manifest.
const CFNManifest = `infrastructure:
  templates:
    - file: "cloudformation.yaml"
      rendering_engine: jinja
      template_language: cloudformation
`

// Property YAML for EnvSchema, indented for the properties map.
const (
	// PropVPCCIDR is an optional string input with a default.
	PropVPCCIDR = `        vpc_cidr:
          type: string
          default: "10.0.0.0/16"
`
	// PropCount is an optional number input with a default.
	PropCount = `        count:
          type: number
          default: 2
`
	// PropSize is an optional enumerated string input without a default.
	PropSize = `        size:
          type: string
          enum: ["small", "large"]
`
)

// EnvSchema is an environment schema whose input type EnvInput has the
// given properties (Prop* constants or like YAML); a caller may end props
// with a required list indented as "      required: [...]".
func EnvSchema(props string) string {
	return `schema:
  format:
    openapi: "3.0.0"
  environment_input_type: "EnvInput"
  types:
    EnvInput:
      type: object
      properties:
` + props
}

// EnvCloudFormation is the CloudFormation template of the sample
// environment bundle; its outputs show how inputs and names render.
const EnvCloudFormation = `Resources:
  VPC:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: '{{ environment.inputs.vpc_cidr }}'
Outputs:
  Cidr:
    Value: '{{ environment.inputs.vpc_cidr }}'
  Count:
    Value: '{{ environment.inputs.count }}'
  Name:
    Value: '{{ environment.name }}'
`

// EnvFiles are the files of the sample CloudFormation environment template
// bundle, with the inputs vpc_cidr (default "10.0.0.0/16") and count
// (default 2). The map is new on every call; tests may change it.
func EnvFiles() map[string]string {
	return map[string]string{
		"schema/schema.yaml":                 EnvSchema(PropVPCCIDR + PropCount),
		"infrastructure/manifest.yaml":       CFNManifest,
		"infrastructure/cloudformation.yaml": EnvCloudFormation,
	}
}

// EnvBundle is the sample environment template bundle (EnvFiles).
func EnvBundle(t testing.TB) []byte { return Map(t, EnvFiles()) }

// ServiceSchema is the schema of the sample service template bundle: a
// service input port (default 80) and a pipeline input branch (default
// main).
const ServiceSchema = `schema:
  format:
    openapi: "3.0.0"
  service_input_type: "SvcInput"
  pipeline_input_type: "PipeInput"
  types:
    SvcInput:
      type: object
      properties:
        port:
          type: integer
          default: 80
    PipeInput:
      type: object
      properties:
        branch:
          type: string
          default: main
`

// ServiceSchemaNoPipeline is a service schema without a pipeline input
// type, for templates whose pipeline is managed outside Proton.
const ServiceSchemaNoPipeline = `schema:
  format:
    openapi: "3.0.0"
  service_input_type: "SvcInput"
  types:
    SvcInput:
      type: object
      properties:
        port:
          type: integer
          default: 80
`

// ServiceFiles are the files of the sample CloudFormation service template
// bundle, with an instance and a pipeline infrastructure. The map is new on
// every call.
func ServiceFiles() map[string]string {
	return map[string]string{
		"schema/schema.yaml":                          ServiceSchema,
		"instance_infrastructure/manifest.yaml":       CFNManifest,
		"instance_infrastructure/cloudformation.yaml": "Resources: {}\n",
		"pipeline_infrastructure/manifest.yaml":       CFNManifest,
		"pipeline_infrastructure/cloudformation.yaml": "Resources: {}\n",
	}
}

// ServiceBundle is the sample service template bundle (ServiceFiles).
func ServiceBundle(t testing.TB) []byte { return Map(t, ServiceFiles()) }
