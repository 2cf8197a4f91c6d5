package deployments

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/render"
	"github.com/openproton/openproton/internal/store"
)

// The deployment types of UpdateEnvironment, UpdateServiceInstance and
// UpdateServicePipeline.
const (
	DeployNone           = "NONE"
	DeployCurrentVersion = "CURRENT_VERSION"
	DeployMinorVersion   = "MINOR_VERSION"
	DeployMajorVersion   = "MAJOR_VERSION"
)

// VersionChoice is what an update of a deployed resource asks of its
// template version.
type VersionChoice struct {
	DeploymentType string
	Major, Minor   *string // as the request gives them
	// The resource's template and version now; Noun names the template's
	// kind in messages ("environment template").
	Template, CurrentMajor, CurrentMinor, Noun string
}

// Wanted returns the major and minor to resolve (as a template family's
// resolver takes them: "" for the recommended one) for a deployment type
// other than NONE, or a ValidationException for a choice the type does
// not allow. A MAJOR_VERSION choice must then resolve to a higher major
// (Check).
func (c VersionChoice) Wanted() (major, minor string, err error) {
	if c.Major != nil {
		major = *c.Major
	}
	if c.Minor != nil {
		minor = *c.Minor
	}
	switch c.DeploymentType {
	case DeployCurrentVersion:
		if major != "" || minor != "" {
			return "", "", fault.New(fault.Validation, "deploymentType CURRENT_VERSION redeploys template version %s.%s; leave out templateMajorVersion and templateMinorVersion.", c.CurrentMajor, c.CurrentMinor)
		}
		return c.CurrentMajor, c.CurrentMinor, nil
	case DeployMinorVersion:
		if major != "" && major != c.CurrentMajor {
			return "", "", fault.New(fault.Validation, "deploymentType MINOR_VERSION stays in major version %s of %s %s; use MAJOR_VERSION to move to major version %s.", c.CurrentMajor, c.Noun, c.Template, major)
		}
		return c.CurrentMajor, minor, nil
	case DeployMajorVersion:
		if major == "" && minor != "" {
			return "", "", fault.New(fault.Validation, "templateMinorVersion needs templateMajorVersion.")
		}
		if major != "" && !Higher(major, c.CurrentMajor) {
			return "", "", fault.New(fault.Validation, "deploymentType MAJOR_VERSION moves to a major version higher than %s; %s is not.", c.CurrentMajor, major)
		}
		return major, minor, nil
	}
	return "", "", fault.New(fault.Validation, "Unknown deploymentType %q.", c.DeploymentType)
}

// Check refuses a resolved version that a MAJOR_VERSION choice cannot move
// to: one that is not a higher major.
func (c VersionChoice) Check(major, minor string) error {
	if c.DeploymentType == DeployMajorVersion && !Higher(major, c.CurrentMajor) {
		return fault.New(fault.Validation, "%s %s recommends version %s.%s, which is not a higher major version than %s; nothing to move to.",
			strings.ToUpper(c.Noun[:1])+c.Noun[1:], c.Template, major, minor, c.CurrentMajor)
	}
	return nil
}

// Higher reports whether major a is numerically above b.
func Higher(a, b string) bool {
	x, err1 := strconv.ParseInt(a, 10, 64)
	y, err2 := strconv.ParseInt(b, 10, 64)
	return err1 == nil && err2 == nil && x > y
}

// Inputs decodes the stored inputs of a state.
func Inputs(st store.TemplateState) (map[string]any, error) {
	m := map[string]any{}
	if st.Inputs == "" {
		return m, nil
	}
	// Numbers keep their form: an integer input renders as 2, not 2.0.
	dec := json.NewDecoder(strings.NewReader(st.Inputs))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("stored inputs of %s: %w", st.TemplateName, err)
	}
	for k, v := range m {
		m[k] = render.JSONNumbers(v)
	}
	return m, nil
}

// EncodeInputs encodes inputs for the store.
func EncodeInputs(m map[string]any) (string, error) {
	if m == nil {
		m = map[string]any{}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode inputs: %w", err)
	}
	return string(b), nil
}
