package codegen

import (
	"reflect"
	"strings"
	"testing"
)

// summaryModel is a small model with one summary of each kind: a true
// subset, one whose member is another plain string shape, and one for each
// way the rule breaks.
const summaryModel = `{
  "operations": {},
  "shapes": {
    "Name": {"type": "string", "max": 10},
    "Arn": {"type": "string", "pattern": "^arn:"},
    "RoleArn": {"type": "string", "max": 2048},
    "Count": {"type": "integer"},
    "Big": {"type": "long"},
    "Status": {"type": "string", "enum": ["ON", "OFF"]},
    "Stamp": {"type": "timestamp"},
    "Names": {"type": "list", "member": {"shape": "Name"}},
    "Part": {"type": "structure", "members": {"name": {"shape": "Name"}}},
    "Thing": {"type": "structure", "members": {
      "name": {"shape": "Name"}, "count": {"shape": "Count"}, "status": {"shape": "Status"},
      "at": {"shape": "Stamp"}, "names": {"shape": "Names"}, "part": {"shape": "Part"}, "spec": {"shape": "Name"}}},
    "ThingSummary": {"type": "structure", "required": ["names"], "members": {
      "name": {"shape": "Name"}, "count": {"shape": "Count"}, "status": {"shape": "Status"},
      "at": {"shape": "Stamp"}, "names": {"shape": "Names"}, "part": {"shape": "Part"}}},
    "Role": {"type": "structure", "members": {"roleArn": {"shape": "RoleArn"}}},
    "RoleSummary": {"type": "structure", "members": {"roleArn": {"shape": "Arn"}}},
    "Missing": {"type": "structure", "members": {"name": {"shape": "Name"}}},
    "MissingSummary": {"type": "structure", "members": {"name": {"shape": "Name"}, "extra": {"shape": "Name"}}},
    "Wide": {"type": "structure", "members": {"count": {"shape": "Count"}}},
    "WideSummary": {"type": "structure", "members": {"count": {"shape": "Big"}}},
    "Free": {"type": "structure", "members": {"status": {"shape": "Name"}}},
    "FreeSummary": {"type": "structure", "members": {"status": {"shape": "Status"}}},
    "Flat": {"type": "string"},
    "FlatSummary": {"type": "structure", "members": {"name": {"shape": "Name"}}},
    "LoneSummary": {"type": "structure", "members": {"name": {"shape": "Name"}}}
  }
}`

func TestSummaryProjections(t *testing.T) {
	m, err := ParseModel([]byte(summaryModel))
	if err != nil {
		t.Fatal(err)
	}
	files, err := Generate(m)
	if err != nil {
		t.Fatal(err)
	}
	src := string(files["summaries_gen.go"])
	for _, want := range []string{
		"func (x *Thing) Summary() ThingSummary {",
		"\t\tName:   x.Name,\n", "\t\tCount:  x.Count,\n", "\t\tStatus: x.Status,\n",
		"\t\tAt:     x.At,\n", "\t\tNames:  x.Names,\n", "\t\tPart:   x.Part,\n",
		"func (x *Role) Summary() RoleSummary {",
		"// roleArn is Arn in RoleSummary and RoleArn in Role.\n", // the looser match is written down
	} {
		if !strings.Contains(src, want) {
			t.Errorf("summaries_gen.go lacks %q:\n%s", want, src)
		}
	}
	if strings.Contains(src, "x.Spec") {
		t.Errorf("a member Thing has and ThingSummary has not is copied:\n%s", src)
	}
	for _, full := range []string{"Missing", "Wide", "Free", "Flat"} {
		if strings.Contains(src, "func (x *"+full+") Summary()") {
			t.Errorf("%sSummary breaks the rule, yet Summary is generated:\n%s", full, src)
		}
	}
	wantProblems := []string{
		"FlatSummary: Flat is a string, not a structure",
		"FreeSummary: member status is Status in FreeSummary and Name in Free",
		"MissingSummary: member extra is not a member of Missing",
		"WideSummary: member count is Big in WideSummary and Count in Wide",
	}
	if got := SummaryProblems(m); !reflect.DeepEqual(got, wantProblems) {
		t.Errorf("SummaryProblems = %q, want %q", got, wantProblems)
	}
	for _, p := range wantProblems {
		if !strings.Contains(src, "// "+p+".\n") {
			t.Errorf("summaries_gen.go does not report %q:\n%s", p, src)
		}
	}
	if !strings.Contains(src, "LoneSummary") {
		t.Errorf("summaries_gen.go does not name the summary without a full shape:\n%s", src)
	}
}

// TestPinnedModelSummaries holds the pinned model to the rule: every
// summary with a full shape projects from it, so that a newer model that
// breaks a pair fails here rather than in a handler.
func TestPinnedModelSummaries(t *testing.T) {
	m := pinnedModel(t)
	if p := SummaryProblems(m); len(p) > 0 {
		t.Errorf("summaries that break the rule: %q", p)
	}
	ps, _, lone := summaryPairs(m)
	var fulls []string
	for _, p := range ps {
		fulls = append(fulls, p.full)
	}
	want := []string{"Component", "Deployment", "EnvironmentAccountConnection", "Environment", "EnvironmentTemplate",
		"EnvironmentTemplateVersion", "Repository", "ServiceInstance", "Service", "ServiceTemplate", "ServiceTemplateVersion"}
	if !reflect.DeepEqual(fulls, want) {
		t.Errorf("projections from %q, want %q", fulls, want)
	}
	if want := []string{"CountsSummary", "ResourceCountsSummary", "ServiceSyncBlockerSummary"}; !reflect.DeepEqual(lone, want) {
		t.Errorf("summaries without a full shape %q, want %q", lone, want)
	}
}
