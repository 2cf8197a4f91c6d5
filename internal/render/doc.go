// Package render renders the Jinja templates of a Proton template bundle
// (rendering_engine: jinja) with the inputs of a deployment, the way Proton
// rendered CloudFormation files before it provisioned them.
//
// Rendering uses gonja, a Go implementation of Jinja. A template sees only
// what it is given: {% include %}, {% import %} and {% extends %} find no
// other file, and nothing on the server's disk or in its environment is
// reachable. Work is bounded: range() hands out at most MaxRangeItems items
// per rendering in all, and a rendering that would write more than
// MaxOutputBytes fails.
//
// Of Proton's own filters, proton_cfn_sanitize is provided; the others
// (proton_cfn_ecs_task_definition_formatted_env_vars,
// proton_cfn_lambda_function_formatted_env_vars, proton_cfn_iam_policy_arns)
// concern service templates and make a rendering fail with a message that
// names them.
package render
