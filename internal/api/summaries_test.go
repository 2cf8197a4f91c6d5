package api

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestSummaryCopiesEveryMember fills each full shape with random values
// and checks that its Summary holds the same value in each of its own
// members.
func TestSummaryCopiesEveryMember(t *testing.T) {
	projections := []struct {
		full    any
		summary func(any) any
	}{
		{&Component{}, func(x any) any { return x.(*Component).Summary() }},
		{&Deployment{}, func(x any) any { return x.(*Deployment).Summary() }},
		{&Environment{}, func(x any) any { return x.(*Environment).Summary() }},
		{&EnvironmentAccountConnection{}, func(x any) any { return x.(*EnvironmentAccountConnection).Summary() }},
		{&EnvironmentTemplate{}, func(x any) any { return x.(*EnvironmentTemplate).Summary() }},
		{&EnvironmentTemplateVersion{}, func(x any) any { return x.(*EnvironmentTemplateVersion).Summary() }},
		{&Repository{}, func(x any) any { return x.(*Repository).Summary() }},
		{&Service{}, func(x any) any { return x.(*Service).Summary() }},
		{&ServiceInstance{}, func(x any) any { return x.(*ServiceInstance).Summary() }},
		{&ServiceTemplate{}, func(x any) any { return x.(*ServiceTemplate).Summary() }},
		{&ServiceTemplateVersion{}, func(x any) any { return x.(*ServiceTemplateVersion).Summary() }},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range projections {
		for range 50 {
			full := reflect.ValueOf(p.full).Elem()
			full.SetZero()
			fill(r, full, 0)
			s := reflect.ValueOf(p.summary(p.full))
			for i := range s.NumField() {
				name := s.Type().Field(i).Name
				got, want := s.Field(i), full.FieldByName(name)
				if !want.IsValid() || !reflect.DeepEqual(got.Interface(), want.Interface()) {
					t.Fatalf("%s.%s is not %s.%s", s.Type().Name(), name, full.Type().Name(), name)
				}
			}
		}
	}
}
