resource "aws_iam_role" "function" {
  name = "${var.service.name}-${var.service_instance.name}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "vpc_access" {
  role       = aws_iam_role.function.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

resource "aws_lambda_function" "this" {
  function_name = "${var.service.name}-${var.service_instance.name}"
  role          = aws_iam_role.function.arn
  s3_bucket     = var.service_instance.inputs.code_bucket
  s3_key        = var.service_instance.inputs.code_key
  handler       = var.service_instance.inputs.handler
  runtime       = var.service_instance.inputs.runtime

  vpc_config {
    subnet_ids         = [var.environment.outputs.subnet_id]
    security_group_ids = [var.environment.outputs.security_group_id]
  }
}

output "function_arn" {
  value = aws_lambda_function.this.arn
}
