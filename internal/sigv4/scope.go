package sigv4

import (
	"regexp"

	"github.com/openproton/openproton/internal/fault"
)

// regionPattern accepts the shape of every AWS region name (us-east-1,
// us-gov-west-1, cn-north-1, ap-southeast-5) without listing them, so new
// regions work without a release.
var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`)

// ValidRegion reports whether region has the shape of an AWS region name.
func ValidRegion(region string) bool {
	return regionPattern.MatchString(region)
}

// CheckScope checks the service and region of the credential scope. It is
// separate from Verify so a server that does not verify signatures still
// refuses requests meant for another service or a malformed region, which
// would otherwise become the region of the caller's resources.
func (s *Signed) CheckScope(service string) error {
	if s.Service != service {
		return invalid("Credential should be scoped to correct service: '" + service + "'. ")
	}
	if !ValidRegion(s.Region) {
		return invalid("Credential should be scoped to a valid region, not '" + fault.Echo(s.Region) + "'. ")
	}
	return nil
}
