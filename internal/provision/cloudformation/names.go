package cloudformation

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/openproton/openproton/internal/provision"
)

// Limits of CloudFormation's and STS's names.
const (
	maxStackName     = 128 // stack and change set names: [a-zA-Z][-a-zA-Z0-9]*
	maxSessionName   = 64  // role session names: [\w+=,.@-]{2,64}
	stackHashLength  = 10  // hex digits of the target's hash in a stack name
	changeSetPrefix  = "openproton-"
	sessionPrefix    = "openproton-"
	stackNamePrefix  = "AWSProton-"
	stackNameHashSep = "-"
)

// StackName is the name of the stack of target t, the same for every
// deployment of t, in AWS Proton's style:
//
//	AWSProton-ENV-<environment>-<hash>
//	AWSProton-SVC-<service>-<instance>-<hash>
//	AWSProton-PIPELINE-<service>-<hash>
//
// (another target type: AWSProton-<TYPE>-<name>-<hash>). The names are
// those of t, with every character that a stack name cannot hold (an
// underscore) made a hyphen, cut short where the whole would pass 128
// characters. The hash is the first 10 hex digits of the SHA-256 of t's
// type and ARN: it tells apart the targets that the rest would confuse
// (my_env and my-env; two management accounts deploying environments of
// one name into one environment account).
func StackName(t provision.Target) string {
	kind, names := strings.ReplaceAll(t.Type, "_", "-"), []string{t.Name}
	switch t.Type {
	case "ENVIRONMENT":
		kind = "ENV"
	case "SERVICE_INSTANCE":
		kind, names = "SVC", []string{t.Service, t.Name}
	case "SERVICE_PIPELINE":
		kind, names = "PIPELINE", []string{t.Service}
	}
	sum := sha256.Sum256([]byte(t.Type + "\n" + t.ARN))
	hash := hex.EncodeToString(sum[:])[:stackHashLength]
	prefix := stackNamePrefix + alnumHyphen(kind) + "-"
	body := alnumHyphen(strings.Join(names, "-"))
	if room := maxStackName - len(prefix) - len(stackNameHashSep) - len(hash); len(body) > room {
		body = body[:room]
	}
	return prefix + body + stackNameHashSep + hash
}

// ChangeSetName is the name of the change set of deployment id: an attempt
// that follows a crash finds the change set of the attempt before it.
func ChangeSetName(deploymentID string) string {
	name := changeSetPrefix + alnumHyphen(deploymentID)
	if len(name) > maxStackName {
		name = name[:maxStackName]
	}
	return name
}

// SessionName is the role session name of deployment id, which CloudTrail
// shows for every call made with the assumed role.
func SessionName(deploymentID string) string {
	var b strings.Builder
	b.WriteString(sessionPrefix)
	for _, r := range deploymentID {
		if b.Len() == maxSessionName {
			break
		}
		if isAlnum(r) || strings.ContainsRune("_+=,.@-", r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// alnumHyphen is s with every character other than an ASCII letter, a
// digit or a hyphen made a hyphen.
func alnumHyphen(s string) string {
	return strings.Map(func(r rune) rune {
		if isAlnum(r) || r == '-' {
			return r
		}
		return '-'
	}, s)
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}
