# Proton adds the declarations of var.environment (its name and inputs) when
# it renders this folder into your provisioning repository. Your automation
# runs terraform with the backend configuration and credentials of its own.
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  backend "s3" {}
}

provider "aws" {
  default_tags {
    tags = {
      "proton:environment" = var.environment.name
    }
  }
}
