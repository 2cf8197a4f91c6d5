package api

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// appender is what the generated encoders give every output.
type appender interface{ AppendJSON([]byte) []byte }

// outputTypes are the output types of every operation, from the service
// interface.
func outputTypes(t *testing.T) []reflect.Type {
	svc := reflect.TypeFor[ProtonService]()
	var out []reflect.Type
	for i := range svc.NumMethod() {
		out = append(out, svc.Method(i).Type.Out(0))
	}
	if len(out) != len(operations) {
		t.Fatalf("%d service methods, %d operations", len(out), len(operations))
	}
	return out
}

// trickyStrings hold every byte and rune encoding/json escapes.
var trickyStrings = func() []string {
	all := make([]byte, 0, 256)
	for c := range 256 {
		all = append(all, byte(c))
	}
	return []string{"", "plain", `quote " backslash \ slash /`, "<html> & more", "\u2028 and \u2029",
		"tab\tnewline\nreturn\rbell\bfeed\f nul\x00 del\x7f", "héllo wörld 日本 🚀", "bad \xff utf8 \xc3", string(all),
		"arn:aws:proton:us-east-1:111111111111:environment-account-connection/0b7e4e4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}
}()

// fill sets v (a settable value) to random content: nil or empty about a
// third of the time for pointers and lists.
func fill(r *rand.Rand, v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Pointer:
		if r.IntN(3) == 0 || depth > 6 {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(r, v.Elem(), depth+1)
	case reflect.Slice:
		switch r.IntN(4) {
		case 0:
			return // nil
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			return
		}
		n := 1 + r.IntN(3)
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := range n {
			fill(r, v.Index(i), depth+1)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[Time]() {
			ms := r.Int64N(4_000_000_000_000)
			if r.IntN(3) == 0 {
				ms -= ms % 1000
			}
			v.Set(reflect.ValueOf(Time{time.UnixMilli(ms).UTC()}))
			return
		}
		for i := range v.NumField() {
			fill(r, v.Field(i), depth+1)
		}
	case reflect.String:
		if r.IntN(2) == 0 {
			v.SetString(trickyStrings[r.IntN(len(trickyStrings))])
			return
		}
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		v.SetString(string(b))
	case reflect.Int32, reflect.Int64:
		v.SetInt(r.Int64() - r.Int64())
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	default:
		panic("fill: unexpected kind " + v.Kind().String())
	}
}

// TestAppendJSONMatchesEncodingJSON fills every output shape at random and
// checks that the generated encoder writes what json.Marshal writes.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, typ := range outputTypes(t) {
		for range 60 {
			v := reflect.New(typ.Elem())
			fill(r, v.Elem(), 0)
			want, err := json.Marshal(v.Interface())
			if err != nil {
				t.Fatalf("%s: json.Marshal: %v", typ, err)
			}
			a, ok := v.Interface().(appender)
			if !ok {
				t.Fatalf("%s has no AppendJSON", typ)
			}
			got := a.AppendJSON([]byte("prefix"))
			if !bytes.Equal(got[6:], want) {
				t.Fatalf("%s: AppendJSON wrote\n%s\njson.Marshal wrote\n%s", typ, got[6:], want)
			}
		}
		var nilOut appender = reflect.Zero(typ).Interface().(appender)
		if got := nilOut.AppendJSON(nil); string(got) != "null" {
			t.Fatalf("%s: AppendJSON of nil = %s, want null", typ, got)
		}
	}
}

func TestAppendStringEveryRune(t *testing.T) {
	var all []rune
	for c := rune(0); c < 0x3000; c++ {
		all = append(all, c)
	}
	for _, s := range append(trickyStrings, string(all)) {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestTimeWireForm(t *testing.T) {
	for ms, want := range map[int64]string{
		1619651630847: "1619651630.847",
		1619651630800: "1619651630.8",
		1619651630050: "1619651630.05",
		1619651630007: "1619651630.007",
		1619651630000: "1619651630",
		0:             "0",
	} {
		tm := TimeOf(time.UnixMilli(ms))
		if got := tm.appendJSON(nil); string(got) != want {
			t.Errorf("time %d ms: appendJSON = %s, want %s", ms, got, want)
		}
		if got, _ := tm.MarshalJSON(); string(got) != want {
			t.Errorf("time %d ms: MarshalJSON = %s, want %s", ms, got, want)
		}
	}
}

func BenchmarkAppendJSONListPage(b *testing.B) {
	out := &ListEnvironmentAccountConnectionsOutput{}
	for i := range 100 {
		s := func(v string) *string { return &v }
		out.EnvironmentAccountConnections = append(out.EnvironmentAccountConnections, EnvironmentAccountConnectionSummary{
			Arn:                  s("arn:aws:proton:us-east-1:111111111111:environment-account-connection/0b7e4e4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"),
			EnvironmentAccountId: s("111111111111"), EnvironmentName: s("environment-name"), Id: s("0b7e4e4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"),
			ManagementAccountId: s("222222222222"), RoleArn: s("arn:aws:iam::111111111111:role/bench-environment-role"), Status: s("CONNECTED"),
			RequestedAt: TimeOf(time.UnixMilli(1619651630847 + int64(i))), LastModifiedAt: TimeOf(time.UnixMilli(1619651630847)),
		})
	}
	buf := out.AppendJSON(nil)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		buf = out.AppendJSON(buf[:0])
	}
}
