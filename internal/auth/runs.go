package auth

import "sync"

// Runs holds the temporary credentials that openproton hands to the
// commands of its CodeBuild provisioning runs (the credentials of the
// assumed CodeBuild role), while each run lasts. A request signed with
// one of them is verified with its secret, in either mode, and acts as the
// role's account on behalf of the run's deployment (Caller.Deployment): as
// on AWS, where the commands called Proton with the CodeBuild role, so that
// `aws proton notify-resource-deployment-status-change` in a command
// reports the run's outputs. A Runs is safe for concurrent use.
type Runs struct {
	mu  sync.Mutex
	cur map[string]runCredential // by access key ID
}

type runCredential struct {
	secret     string
	account    string
	deployment string
}

// NewRuns returns an empty Runs.
func NewRuns() *Runs { return &Runs{cur: map[string]runCredential{}} }

// Add makes the credential (accessKeyID, secret) act as account for
// deployment until the returned function is called.
func (r *Runs) Add(accessKeyID, secret, account, deployment string) (remove func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cur[accessKeyID] = runCredential{secret: secret, account: account, deployment: deployment}
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if c, ok := r.cur[accessKeyID]; ok && c.deployment == deployment {
			delete(r.cur, accessKeyID)
		}
	}
}

// lookup returns the run credential of an access key ID.
func (r *Runs) lookup(accessKeyID string) (runCredential, bool) {
	if r == nil {
		return runCredential{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.cur[accessKeyID]
	return c, ok
}
