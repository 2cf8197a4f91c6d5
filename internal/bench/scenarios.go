package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// The operations the scenarios call.
const (
	opCreate = "CreateEnvironmentAccountConnection"
	opGet    = "GetEnvironmentAccountConnection"
	opList   = "ListEnvironmentAccountConnections"
	opAccept = "AcceptEnvironmentAccountConnection"
	opReject = "RejectEnvironmentAccountConnection"
)

// pageSize is the size of a full List page, the API's maximum.
const pageSize = 100

// Scenario is one kind of load on openproton.
type Scenario struct {
	Name        string // as in the report
	Description string
	// Prepare seeds the server through its API with c and returns the
	// worker of each connection.
	Prepare func(ctx context.Context, c *Conn, a Accounts) (func(i int) Worker, error)
}

// Scenarios are the scenarios of a run, in the order they run.
func Scenarios() []Scenario {
	return []Scenario{
		{Name: "Get", Description: "GetEnvironmentAccountConnection of one of 100 connections, as their management account", Prepare: prepareGet},
		{Name: "List (page of 100)", Description: "ListEnvironmentAccountConnections answering a full page of 100, as the management account", Prepare: prepareList},
		{Name: "Create (durable)", Description: "CreateEnvironmentAccountConnection with a client token, each request from the next of 1,000 environment accounts", Prepare: prepareCreate},
		{Name: "Accept/Reject mix", Description: "each connection repeats Create, Accept, Reject of one connection (2/3 of the requests are Accept or Reject)", Prepare: prepareMix},
		{Name: "Environment Get", Description: "GetEnvironment of one of 100 deployed environments, as their account", Prepare: prepareEnvGet},
		{Name: "Environment List (page of 100)", Description: "ListEnvironments answering a full page of 100 deployed environments, as their account", Prepare: prepareEnvList},
	}
}

// ScenarioNamed returns the scenario whose name starts with prefix
// (case-sensitive), for the command's -scenarios flag.
func ScenarioNamed(prefix string) (Scenario, bool) {
	for _, s := range Scenarios() {
		if len(prefix) > 0 && len(s.Name) >= len(prefix) && s.Name[:len(prefix)] == prefix {
			return s, true
		}
	}
	return Scenario{}, false
}

// createBody appends the body of a create from env to mgmt with a client
// token unique to the run.
func createBody(b []byte, env, mgmt Key, name, token string) []byte {
	b = append(b, `{"managementAccountId":"`...)
	b = append(b, mgmt.Account...)
	b = append(b, `","environmentName":"`...)
	b = append(b, name...)
	b = append(b, `","roleArn":"arn:aws:iam::`...)
	b = append(b, env.Account...)
	b = append(b, `:role/bench-environment-role","clientToken":"`...)
	b = append(b, token...)
	b = append(b, `"}`...)
	return b
}

func idBody(id string) []byte { return []byte(`{"id":"` + id + `"}`) }

// idOf reads the connection id from a create's answer.
func idOf(answer []byte) (string, error) {
	const key = `"id":"`
	i := bytes.Index(answer, []byte(key))
	if i < 0 || len(answer) < i+len(key)+36 {
		return "", fmt.Errorf("no connection id in %q", answer)
	}
	return string(answer[i+len(key) : i+len(key)+36]), nil
}

// seedPage creates one full page of connections for the first management
// account, each from another environment account, and returns their ids.
func seedPage(c *Conn, a Accounts) ([]string, error) {
	if len(a.Environment) < pageSize || len(a.Management) == 0 {
		return nil, errors.New("bench: the seed needs 100 environment accounts and a management account")
	}
	ids := make([]string, 0, pageSize)
	for i := range pageSize {
		env := a.Environment[i]
		body := createBody(nil, env, a.Management[0], "seed-"+strconv.Itoa(i), "seed-"+strconv.Itoa(i))
		out, err := c.Call(opCreate, env, body)
		if err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		id, err := idOf(out)
		if err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func prepareGet(_ context.Context, c *Conn, a Accounts) (func(int) Worker, error) {
	ids, err := seedPage(c, a)
	if err != nil {
		return nil, err
	}
	return getWorkers(ids, a.Management[0]), nil
}

// getWorkers get the connections ids in turn, as caller.
func getWorkers(ids []string, caller Key) func(int) Worker {
	bodies := make([][]byte, len(ids))
	for i, id := range ids {
		bodies[i] = idBody(id)
	}
	return func(i int) Worker {
		return func(s *Session, n int) error {
			_, err := s.Call(opGet, caller, bodies[(i*7+n)%len(bodies)])
			return err
		}
	}
}

// listBody asks for a full page of the management account's connections.
var listBody = []byte(`{"requestedBy":"MANAGEMENT_ACCOUNT","maxResults":100}`)

func prepareList(_ context.Context, c *Conn, a Accounts) (func(int) Worker, error) {
	if _, err := seedPage(c, a); err != nil {
		return nil, err
	}
	caller := a.Management[0]
	if err := checkFullPage(c, caller); err != nil {
		return nil, err
	}
	return listWorkers(caller), nil
}

// listWorkers ask for the first full page of caller's connections.
func listWorkers(caller Key) func(int) Worker {
	return func(int) Worker {
		return func(s *Session, _ int) error {
			_, err := s.Call(opList, caller, listBody)
			return err
		}
	}
}

// checkFullPage makes sure the List scenario measures what it says: an
// answer with a full page.
func checkFullPage(c *Conn, caller Key) error {
	out, err := c.Call(opList, caller, listBody)
	if err != nil {
		return err
	}
	var page struct {
		EnvironmentAccountConnections []json.RawMessage `json:"environmentAccountConnections"`
	}
	if err := json.Unmarshal(out, &page); err != nil {
		return fmt.Errorf("list answer: %w", err)
	}
	if len(page.EnvironmentAccountConnections) != pageSize {
		return fmt.Errorf("list answered %d connections, want a full page of %d", len(page.EnvironmentAccountConnections), pageSize)
	}
	return nil
}

func prepareCreate(_ context.Context, _ *Conn, a Accounts) (func(int) Worker, error) {
	return func(i int) Worker {
		var buf []byte
		prefix := "w" + strconv.Itoa(i) + "-"
		return func(s *Session, n int) error {
			env := a.Environment[(i*97+n)%len(a.Environment)]
			mgmt := a.Management[n%len(a.Management)]
			num := strconv.Itoa(n)
			buf = createBody(buf[:0], env, mgmt, "env-"+strconv.Itoa(n%100), prefix+num)
			_, err := s.Call(opCreate, env, buf)
			return err
		}
	}, nil
}

func prepareMix(_ context.Context, _ *Conn, a Accounts) (func(int) Worker, error) {
	return func(i int) Worker {
		var buf []byte
		prefix := "m" + strconv.Itoa(i) + "-"
		mgmt := a.Management[i%len(a.Management)]
		return func(s *Session, n int) error {
			env := a.Environment[(i*97+n)%len(a.Environment)]
			buf = createBody(buf[:0], env, mgmt, "env-"+strconv.Itoa(n%100), prefix+strconv.Itoa(n))
			out, err := s.Call(opCreate, env, buf)
			if err != nil {
				return err
			}
			id, err := idOf(out)
			if err != nil {
				s.Fail(err)
				return err
			}
			body := idBody(id)
			if _, err := s.Call(opAccept, mgmt, body); err != nil {
				return err
			}
			_, err = s.Call(opReject, mgmt, body)
			return err
		}
	}, nil
}
