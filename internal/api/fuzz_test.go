package api

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/openproton/openproton/internal/fault"
)

// FuzzDecodeValidate feeds arbitrary bodies to every operation's decoder and
// validator: the only acceptable outcomes are success, a DecodeError
// (SerializationException on the wire) or a ValidationException, and never a
// panic.
func FuzzDecodeValidate(f *testing.F) {
	seeds := []string{
		`{}`, `null`, `[]`, `"x"`, `{"id":"a1b2c3d4-5678-90ab-cdef-111111111111"}`,
		`{"managementAccountId":"222222222222","environmentName":"env","roleArn":"arn:aws:iam::111111111111:role/r","tags":[{"key":"k","value":"v"}]}`,
		`{"requestedBy":"MANAGEMENT_ACCOUNT","statuses":["PENDING","BAD"],"maxResults":0,"nextToken":"!!"}`,
		`{"tags":[null,{"key":1}],"name":{"x":[1,2,{}]}}`,
		`{"source":{"s3":{"bucket":"b","key":"k"}},"templateName":"t"}`,
		`{"maxResults":1e400}`, `{"maxResults":1.5}`, `{"name":"` + "\xff\xfe" + `"}`,
	}
	ops := Operations()
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		op := ops[int(which)%len(ops)]
		in := op.NewInput()
		err := Decode(body, in)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("%s: decode error of type %T: %v", op.Name, err, err)
			}
			return
		}
		if err := in.Validate(); err != nil {
			if !fault.Is(err, fault.Validation) {
				t.Fatalf("%s: validate returned %v", op.Name, err)
			}
			return
		}
		if _, err := json.Marshal(in); err != nil {
			t.Fatalf("%s: a valid input does not encode: %v", op.Name, err)
		}
	})
}
