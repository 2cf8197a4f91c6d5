package cloudformation

import (
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
)

// awsMessage is the message of an AWS API error ("AccessDenied: User ...
// is not authorized to perform sts:AssumeRole ..."), without the SDK's
// wrapping (operation, request id); for another error its text.
func awsMessage(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		if msg := api.ErrorMessage(); msg != "" {
			return api.ErrorCode() + ": " + msg
		}
		return api.ErrorCode()
	}
	return err.Error()
}

// stackMissing reports whether err says that the stack does not exist
// (CloudFormation answers ValidationError "Stack with id X does not
// exist").
func stackMissing(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "ValidationError" && strings.Contains(api.ErrorMessage(), "does not exist")
}

// changeSetMissing reports whether err says that the change set (or its
// stack) does not exist.
func changeSetMissing(err error) bool {
	var nf *types.ChangeSetNotFoundException
	return errors.As(err, &nf) || stackMissing(err)
}

// noChanges reports whether a failed change set's reason says that it
// holds no change: the deployment then succeeds with the stack as it is.
func noChanges(reason string) bool {
	return strings.Contains(reason, "didn't contain changes") || strings.Contains(reason, "No updates are to be performed")
}
