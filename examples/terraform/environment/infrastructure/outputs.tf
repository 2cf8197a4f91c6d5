# Your automation reports these to Proton with
# notify-resource-deployment-status-change --outputs; service templates read
# them as var.environment.outputs.<name>.
output "vpc_id" {
  value = aws_vpc.this.id
}

output "subnet_id" {
  value = aws_subnet.private.id
}

output "security_group_id" {
  value = aws_security_group.services.id
}
