package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/openproton/openproton/internal/fault"
)

// FuzzValidate sets the members of an operation's input straight from
// fuzzed values (strings of any bytes and length, integers of any size,
// lists of up to 60 elements, nested structures) and validates it, which
// reaches the validators' length, pattern, range, enum and list checks far
// more often than fuzzed JSON does. The only outcomes allowed are nil and a
// ValidationException in the Coral format; an input that passes must pass
// again after the JSON round trip a client and the server make.
func FuzzValidate(f *testing.F) {
	ops := Operations()
	index := map[string]uint8{}
	for i, op := range ops {
		index[op.Name] = uint8(i)
	}
	seeds := []struct {
		op     string
		values string
		n      int64
		items  uint8
	}{
		{"CreateEnvironmentAccountConnection", "token\x00\x00\x00env\x00222222222222\x00arn:aws:iam::111111111111:role/r\x00key\x00value", 0, 1},
		{"CreateEnvironmentAccountConnection", strings.Repeat("x", 70000), 0, 60},
		{"ListEnvironmentAccountConnections", "env\x00AAAA\x00MANAGEMENT_ACCOUNT\x00PENDING", 100, 2},
		{"ListEnvironmentAccountConnections", "\xff\xfe\x00\xed\xa0\x80", -1 << 40, 0},
		{"TagResource", "arn:aws:proton:us-east-1:111111111111:environment-account-connection/x\x00aws:k\x00v", 0, 50},
		{"UntagResource", "arn:aws:proton:us-east-1:111111111111:environment-account-connection/x\x00a\x00b", 0, 51},
		{"CreateEnvironmentTemplateVersion", "t\x00\x00\x00\x00bucket\x00key", 1 << 31, 3},
		{"ListServiceInstances", "\u2603\x00\U0001F600", 0, 3},
	}
	for _, s := range seeds {
		f.Add(index[s.op], s.values, s.n, s.items)
	}
	f.Fuzz(func(t *testing.T, which uint8, values string, n int64, items uint8) {
		op := ops[int(which)%len(ops)]
		in := op.NewInput()
		fz := &filler{parts: strings.Split(values, "\x00"), n: n, items: int(items) % 61}
		fz.fill(reflect.ValueOf(in).Elem(), 0)
		err := in.Validate()
		if err != nil {
			e, ok := fault.As(err)
			if !ok || e.Code != fault.Validation || !strings.Contains(e.Message, " validation error") {
				t.Fatalf("%s: Validate returned %v", op.Name, err)
			}
			return
		}
		body, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("%s: a valid input does not encode: %v", op.Name, err)
		}
		again := op.NewInput()
		if err := Decode(body, again); err != nil {
			t.Fatalf("%s: a valid input does not decode again: %v\n%s", op.Name, err, body)
		}
		if err := again.Validate(); err != nil && utf8.ValidString(values) {
			t.Fatalf("%s: a valid input is invalid after a JSON round trip: %v\n%s", op.Name, err, body)
		}
	})
}

// filler sets members from fuzzed values: strings from parts in turn (a
// member is left absent once they run out), every integer to n, every list
// to items elements.
type filler struct {
	parts []string
	next  int
	n     int64
	items int
}

func (f *filler) fill(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Pointer:
		if depth > 4 || v.Type().Elem().Kind() == reflect.String && f.next >= len(f.parts) {
			return
		}
		p := reflect.New(v.Type().Elem())
		f.fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.String:
		if f.next < len(f.parts) {
			v.SetString(f.parts[f.next])
			f.next++
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		v.SetInt(f.n)
	case reflect.Float64:
		v.SetFloat(float64(f.n))
	case reflect.Bool:
		v.SetBool(f.n%2 == 0)
	case reflect.Slice:
		if depth > 4 {
			return
		}
		s := reflect.MakeSlice(v.Type(), f.items, f.items)
		for i := range f.items {
			f.fill(s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(Time{}) {
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				f.fill(v.Field(i), depth+1)
			}
		}
	}
}
