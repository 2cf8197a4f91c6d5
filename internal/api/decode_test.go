package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

type memberSeen struct {
	Name string
	Raw  string
}

// walk records what a member walk hands over.
func walk(f func([]byte, func(string, json.RawMessage) error) error, data []byte) ([]memberSeen, error) {
	var seen []memberSeen
	err := f(data, func(name string, raw json.RawMessage) error {
		seen = append(seen, memberSeen{name, string(raw)})
		if name == "stop" {
			return fmt.Errorf("stopped at %s", raw)
		}
		return nil
	})
	return seen, err
}

// FuzzScanObject checks that the fast member walk hands over exactly what
// json.Decoder's token walk does, whenever it takes a body, and that a
// string it decodes itself is what json.Unmarshal decodes.
func FuzzScanObject(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { } `, `null`, `[]`, `"x"`, `{"id":"a1b2"}`, "{\n\t\"a\" : \"b\" ,\r\n \"c\":[1, {\"d\": \"]}\"}], \"e\": {\"f\": [\"}\"]}}",
		`{"a":1,"b":-2.5e10,"c":true,"d":false,"e":null}`, `{"a\u0062":"c\"d","\\":"\\\""}`, `{"a":"x","a":"y"}`,
		`{"name":"` + "\xff\xfe" + `"}`, `{"é":"日本","emoji":"🚀"}`, `{"stop":"here","after":1}`, `{"a":"b"} x`, `{"a":}`,
		`{"tags":[{"key":"k","value":"v"}],"statuses":["PENDING"]}`, `{"a":"\u2028"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		seen, err := walk(func(d []byte, m func(string, json.RawMessage) error) error {
			handled, err := scanObject(d, m)
			if !handled {
				return errNotHandled
			}
			return err
		}, data)
		if err == errNotHandled {
			if trimmed := bytes.TrimLeft(data, " \t\r\n"); json.Valid(data) && len(trimmed) > 0 && trimmed[0] == '{' {
				t.Fatalf("%q: scanObject did not take a valid object", data)
			}
			return
		}
		want, wantErr := walk(decodeTokens, data)
		if !reflect.DeepEqual(seen, want) || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("%q: scanObject handed %v (%v), the token walk %v (%v)", data, seen, err, want, wantErr)
		}
		for _, m := range seen {
			if s, ok := plainString([]byte(m.Raw)); ok {
				var w string
				if err := json.Unmarshal([]byte(m.Raw), &w); err != nil || w != s {
					t.Fatalf("plainString(%q) = %q, json.Unmarshal gives %q (%v)", m.Raw, s, w, err)
				}
			}
		}
	})
}

var errNotHandled = fmt.Errorf("not handled")

// FuzzStrictOK checks that strictOK passes only bodies that checkStrict
// passes, and that it passes the ordinary ones.
func FuzzStrictOK(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `{"a":1,"b":{"a":2},"c":[{"a":1},{"a":2}]}`, `{"a":1,"a":2}`, `{"a":{"b":1,"b":2}}`,
		`{"a":1,"\u0061":2}`, `{"a":"x\"y","b":"{\"a\":1,\"a\":1}"}`, "{\"a\":\"\xff\"}", `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`, `{"tags":[{"key":"k","value":"v"},{"key":"k2","value":"v"}]}`,
		`{"id":"0b7e4e4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}`, ` { "a" : [ 1 , 2 ] , "b" : null } `, `"x"`, `12`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) {
			return
		}
		ok := strictOK(body)
		err := checkStrict(body)
		if ok && err != nil {
			t.Fatalf("%q: strictOK passed it, checkStrict refuses it: %v", body, err)
		}
		if !ok && err == nil && !bytes.Contains(body, []byte(`\`)) && len(body) < 200 {
			t.Fatalf("%q: checkStrict passes it, strictOK did not", body)
		}
	})
}
