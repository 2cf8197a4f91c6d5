package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/openproton/openproton/internal/api"
)

// FuzzServer sends arbitrary bodies to every operation through the whole
// server (protocol, authentication, validation, domain rules, the SQLite
// store) as one of three accounts. No input may panic or produce a 5xx other
// than the 501 of an operation that is not built yet.
func FuzzServer(f *testing.F) {
	cfg, err := ParseConfig([]string{"--store", "memory"}, func(string) string { return "" })
	if err != nil {
		f.Fatal(err)
	}
	h := testHandler(f, cfg)
	ops := api.Operations()
	index := map[string]uint8{}
	for i, op := range ops {
		index[op.Name] = uint8(i)
	}
	seeds := []struct {
		op, body string
	}{
		{"CreateEnvironmentAccountConnection", `{"managementAccountId":"222222222222","environmentName":"env","roleArn":"arn:aws:iam::111111111111:role/r","clientToken":"a","tags":[{"key":"k","value":"v"}]}`},
		{"AcceptEnvironmentAccountConnection", `{"id":"0f0e0d0c-0b0a-4908-8706-050403020100"}`},
		{"ListEnvironmentAccountConnections", `{"requestedBy":"MANAGEMENT_ACCOUNT","statuses":["PENDING"],"maxResults":1,"nextToken":"AAAA"}`},
		{"TagResource", `{"resourceArn":"arn:aws:proton:us-east-1:111111111111:environment-account-connection/x","tags":[{"key":"aws:x","value":""}]}`},
		{"ListTagsForResource", `{"resourceArn":"arn:aws:proton:us-east-1:111111111111:environment-account-connection/x","nextToken":"!"}`},
		{"GetEnvironment", `{"name":"e"}`},
		{"UpdateEnvironmentAccountConnection", `{"id":"0f0e0d0c-0b0a-4908-8706-050403020100","roleArn":"arn:aws:iam::111111111111:role/r"}`},
	}
	for _, s := range seeds {
		f.Add(index[s.op], uint8(0), []byte(s.body))
		f.Add(index[s.op], uint8(1), []byte(s.body))
	}
	accounts := []string{"111111111111", "222222222222", "AKIANOTANACCOUNT"}
	f.Fuzz(func(t *testing.T, which, who uint8, body []byte) {
		op := ops[int(which)%len(ops)]
		w := httptest.NewRecorder()
		h.ServeHTTP(w, openRequest(accounts[int(who)%len(accounts)], op.Name, body))
		if w.Code < 500 {
			return
		}
		var e struct {
			Type string `json:"__type"`
		}
		_ = json.Unmarshal(w.Body.Bytes(), &e)
		if w.Code != http.StatusNotImplemented || e.Type != "NotImplementedException" {
			t.Fatalf("%s %q: %d %s", op.Name, body, w.Code, w.Body)
		}
	})
}
