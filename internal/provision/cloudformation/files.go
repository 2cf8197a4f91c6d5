package cloudformation

import (
	"fmt"
	"strings"

	"github.com/openproton/openproton/internal/provision"
)

// maxTemplateBody is the largest template CloudFormation takes in a
// request (TemplateBody); a larger one must come from S3.
const maxTemplateBody = 51200

// codeBuildNotBuilt is the message of a CodeBuild deployment.
const codeBuildNotBuilt = "CodeBuild provisioning (rendering_engine: codebuild) is not built yet for --provisioner aws, which deploys CloudFormation templates only; run such templates with --provisioner emulate."

// codeBuild reports whether req provisions with CodeBuild commands.
func codeBuild(req provision.Request) bool {
	if req.CodeBuild {
		return true
	}
	for _, f := range req.Files {
		if strings.EqualFold(f.RenderingEngine, "codebuild") {
			return true
		}
	}
	return false
}

// templateBody returns the one CloudFormation template of files, "" when
// there is none. AWS Proton deployed one template per target, so a bundle
// with several is refused, as is a file in another language.
func templateBody(files []provision.File) (string, error) {
	var cf []provision.File
	for _, f := range files {
		if !strings.EqualFold(f.Language, "cloudformation") {
			return "", fmt.Errorf("%s is a %s template; --provisioner aws deploys CloudFormation templates only", f.Path, f.Language)
		}
		cf = append(cf, f)
	}
	switch {
	case len(cf) == 0:
		return "", nil
	case len(cf) > 1:
		paths := make([]string, len(cf))
		for i, f := range cf {
			paths[i] = f.Path
		}
		return "", fmt.Errorf("the template has %d CloudFormation files (%s); AWS Proton deploys one per target, so keep one", len(cf), strings.Join(paths, ", "))
	case len(cf[0].Content) > maxTemplateBody:
		return "", fmt.Errorf("%s renders to %d bytes; CloudFormation takes at most %d in a request, and templates passed through S3 are not built yet",
			cf[0].Path, len(cf[0].Content), maxTemplateBody)
	case strings.TrimSpace(cf[0].Content) == "":
		return "", fmt.Errorf("%s renders to an empty template", cf[0].Path)
	}
	return cf[0].Content, nil
}
