package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentRequestsInProcess runs a mixed load of every connection
// operation through the whole server (middleware, protocol, handlers,
// domain, a SQLite file store) from many goroutines at once, in process, so
// that `go test -race` sees the server's own concurrency. Every answer must
// be a success or a modelled 4xx of losing a race.
func TestConcurrentRequestsInProcess(t *testing.T) {
	cfg, err := ParseConfig([]string{"--store", "sqlite:" + filepath.Join(t.TempDir(), "race.db"), "--quota-environment-account-connections", "1000"},
		func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	h := testHandler(t, cfg)
	do := func(account, op, body string) (int, string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, openRequest(account, op, []byte(body)))
		return w.Code, w.Body.String()
	}
	const env, mgmt = "111111111111", "222222222222"
	var ids []string
	for i := range 4 {
		code, body := do(env, "CreateEnvironmentAccountConnection", fmt.Sprintf(
			`{"managementAccountId":%q,"environmentName":"e%d","roleArn":"arn:aws:iam::%s:role/r","tags":[{"key":"k","value":"v"}]}`, mgmt, i, env))
		if code != http.StatusOK {
			t.Fatalf("create: %d %s", code, body)
		}
		ids = append(ids, connectionID(body))
	}
	arn := func(id string) string {
		return "arn:aws:proton:us-east-1:" + env + ":environment-account-connection/" + id
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				id := ids[(g+i)%len(ids)]
				var code int
				var body string
				switch (g + i) % 8 {
				case 0:
					code, body = do(mgmt, "AcceptEnvironmentAccountConnection", `{"id":"`+id+`"}`)
				case 1:
					code, body = do(env, "UpdateEnvironmentAccountConnection", `{"id":"`+id+`","componentRoleArn":"arn:aws:iam::`+env+`:role/c"}`)
				case 2:
					code, body = do(env, "TagResource", `{"resourceArn":"`+arn(id)+`","tags":[{"key":"g`+fmt.Sprint(g)+`","value":"v"}]}`)
				case 3:
					code, body = do(env, "UntagResource", `{"resourceArn":"`+arn(id)+`","tagKeys":["k"]}`)
				case 4:
					code, body = do(mgmt, "ListEnvironmentAccountConnections", `{"requestedBy":"MANAGEMENT_ACCOUNT","maxResults":2}`)
				case 5:
					code, body = do(env, "ListTagsForResource", `{"resourceArn":"`+arn(id)+`"}`)
				case 6:
					code, body = do(env, "CreateEnvironmentAccountConnection", fmt.Sprintf(
						`{"managementAccountId":%q,"environmentName":"c%d","roleArn":"arn:aws:iam::%s:role/r","clientToken":"t%d"}`, mgmt, i%5, env, i%5))
					if code == http.StatusOK {
						code, body = do(env, "DeleteEnvironmentAccountConnection", `{"id":"`+connectionID(body)+`"}`)
					}
				default:
					code, body = do(mgmt, "GetEnvironmentAccountConnection", `{"id":"`+id+`"}`)
				}
				// Racing creates with one token (a replay of a deleted
				// connection makes a new one), deletes and reads may
				// find a connection gone; nothing else may fail.
				if code != http.StatusOK && !(code == http.StatusNotFound && strings.Contains(body, "ResourceNotFoundException")) {
					t.Errorf("goroutine %d call %d: %d %s", g, i, code, body)
				}
			}
		})
	}
	wg.Wait()
}
