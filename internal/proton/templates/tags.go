package templates

import (
	"context"
	"errors"
	"strings"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/proton/arn"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/tagging"
	"github.com/openproton/openproton/internal/store"
)

// TagOwner returns the tagging check for the ARNs of one kind of template
// and of its versions ({type}/{name} and {type}/{name}:{major}.{minor}):
// the resource must exist in the caller's account. Anything else is
// ResourceNotFoundException.
func (s *Service) TagOwner(kind store.TemplateKind) family.Owner {
	return func(ctx context.Context, caller auth.Caller, a arn.ARN) error {
		missing := tagging.NotFound(a.String())
		if a.Account != caller.Account {
			return missing
		}
		name, version, isVersion := strings.Cut(a.ID(), ":")
		k := store.TemplateKey{Account: a.Account, Region: a.Region, Kind: kind, Name: name}
		var (
			want string
			err  error
		)
		if !isVersion {
			want = TemplateARN(k)
			_, err = s.store.GetTemplate(ctx, k)
		} else {
			major, minor, _ := strings.Cut(version, ".")
			vk, verr := versionKey(k, major, minor)
			if verr != nil {
				return missing
			}
			want = VersionARN(vk)
			_, err = s.store.GetTemplateVersion(ctx, vk, false)
		}
		if errors.Is(err, store.ErrNotFound) {
			return missing
		}
		if err != nil {
			return family.Internal("tag owner", err)
		}
		// The ARN must name the resource exactly (no leading zeros, no
		// extra parts), as tags are stored under the canonical ARN.
		if want != a.String() {
			return missing
		}
		return nil
	}
}
