resource "aws_vpc" "this" {
  cidr_block           = var.environment.inputs.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = {
    Name = var.environment.name
  }
}

data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_subnet" "private" {
  vpc_id            = aws_vpc.this.id
  cidr_block        = var.environment.inputs.subnet_cidr
  availability_zone = data.aws_availability_zones.available.names[0]

  tags = {
    Name = "${var.environment.name}-private"
  }
}

resource "aws_security_group" "services" {
  name        = "${var.environment.name}-services"
  description = "Services of environment ${var.environment.name}"
  vpc_id      = aws_vpc.this.id
}
