package action

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/tagguard/tagguard/internal/options"
)

// Input returns the value the runner passed for input name: INPUT_ followed
// by the name upper-cased with hyphens kept (INPUT_EXPECTED-BASE).
func Input(getenv func(string) string, name string) string {
	return strings.TrimSpace(getenv("INPUT_" + strings.ToUpper(name)))
}

// Mode reads and checks the mode input.
func Mode(getenv func(string) string) (string, error) {
	m := strings.ToLower(Input(getenv, "mode"))
	if !slices.Contains(options.Commands, m) {
		if m == "" {
			return "", fmt.Errorf("input mode is required: %s", strings.Join(options.Commands, ", "))
		}
		return "", fmt.Errorf("input mode %q: use %s", m, strings.Join(options.Commands, ", "))
	}
	return m, nil
}

// Ignored lists the inputs given that mode does not take, so a step that
// sets pin in mode check hears about it. Inputs still at their default are
// not counted: the runner passes action.yml's defaults for every input.
func Ignored(mode string, getenv func(string) string) []string {
	var out []string
	for _, o := range options.Table() {
		if o.Commands == nil || slices.Contains(o.Commands, mode) {
			continue
		}
		if v := Input(getenv, o.Name); v != "" && v != o.Default {
			out = append(out, o.Name)
		}
	}
	return out
}

// Inputs reads the inputs of mode into option values. Inputs the runner
// passed empty keep the Go default, so a step that runs the image directly
// (uses: docker://…, without action.yml's defaults) behaves the same. The
// returned note says where the images came from when not from the input.
func Inputs(mode string, getenv func(string) string) (*options.Values, string, error) {
	opts := options.For(mode)
	vals := options.NewValues(opts)
	for _, o := range opts {
		if v := Input(getenv, o.Name); v != "" {
			vals.Set(o.Name, v)
		}
	}
	note := ""
	takesImages := mode == options.Check || mode == options.Promote || mode == options.Record
	if takesImages && len(vals.List(options.Images)) == 0 && vals.String(options.ImagesFile) == "" && (mode != options.Record || vals.String(options.Metadata) == "") {
		tags, err := metadataTags(getenv("DOCKER_METADATA_OUTPUT_JSON"))
		if err != nil {
			return nil, "", err
		}
		if len(tags) > 0 {
			vals.Set(options.Images, strings.Join(tags, "\n"))
			note = "DOCKER_METADATA_OUTPUT_JSON (docker/metadata-action's tags), since input images was empty"
		}
	}
	if err := vals.Validate(opts); err != nil {
		return nil, "", err
	}
	return vals, note, nil
}

// metadataTags reads the tags docker/metadata-action exports to later steps.
func metadataTags(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var md struct {
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal([]byte(s), &md); err != nil {
		return nil, fmt.Errorf("DOCKER_METADATA_OUTPUT_JSON is not docker/metadata-action's JSON: %v", err)
	}
	return md.Tags, nil
}
