package auth

import "strings"

// Caller is the identity a request acts as.
type Caller struct {
	Account   string
	Region    string
	Partition string
	AccessKey string
	// Deployment is set when the request is signed with the credentials
	// of a CodeBuild run (Runs): the deployment that the run carries out.
	Deployment string
}

// Partition returns the AWS partition of region, which ARNs must carry.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}
