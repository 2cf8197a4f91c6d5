# Proton adds the declarations of var.environment (with the environment's
# outputs), var.service and var.service_instance when it renders this folder
# into your provisioning repository.
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  backend "s3" {}
}

provider "aws" {}
