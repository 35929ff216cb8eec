package docs

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestGoldenReportsMatchTheSchema validates every golden JSON report
// against docs/report.schema.json with a real validator: the schema
// consumers read is the one the code keeps (every documented field
// present, the verdicts and exit codes it may carry).
func TestGoldenReportsMatchTheSchema(t *testing.T) {
	t.Parallel()
	c := jsonschema.NewCompiler()
	doc, err := os.ReadFile("../../docs/report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("report.schema.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	goldens, _ := filepath.Glob("../app/testdata/golden/*/*.json")
	if len(goldens) < 10 {
		t.Fatalf("%d golden JSON reports: the test would prove little", len(goldens))
	}
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", g, err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s does not match docs/report.schema.json: %v", g, err)
		}
	}
	// A body that leaves a documented field out is refused.
	var bad map[string]any
	b, _ := os.ReadFile("../app/testdata/golden/audit/ok.json")
	_ = json.Unmarshal(b, &bad)
	delete(bad["body"].(map[string]any), "problems")
	raw, _ := json.Marshal(bad)
	v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err := sch.Validate(v); err == nil {
		t.Error("a report without body.problems passed the schema")
	}
}
