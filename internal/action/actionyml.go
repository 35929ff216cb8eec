package action

import (
	"fmt"
	"strings"

	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/refs"
)

// Image is the prebuilt image action.yml runs: pulling it takes about a
// second, where building the Dockerfile on every job costs 25–60 s. The
// release workflow publishes it and moves the v1 tag only forward.
const Image = "docker://" + ImageRepository + ":v1"

// Outputs lists every output of every mode, with its description.
var outputs = []struct{ name, mode, desc string }{
	{"blocked", "check, promote, pin with verify", "true when a guard blocked the publish (pin: when a pin differs, was pruned or is missing), else false"},
	{"report", "all", "the run's report as one JSON document (the same as --format json)"},
	{"digest", "record, promote", "the digest every recorded ref points at, when they all share one"},
	{"digests", "record, promote", "JSON object: ref → digest"},
	{"pinned", "record, promote", "newline-separated REPO@sha256:... for each recorded ref"},
	{"ledger", "record, promote", "the ledger JSON (schema tagguard.ledger/v1)"},
	{"ledger-digest", "record, promote", "sha256 of the ledger's bytes (the release asset tagguard-ledger.json, else the ledger file): attest it with actions/attest-build-provenance"},
	{"changed", "restore", "JSON list of the tags restored: ref, from, to"},
	{"undo", "restore", "a ledger of the previous digests: restore from it (from-ledger) to reverse the restore"},
	{"pins", "pin", "the compose override, kustomize images or lock list pin made"},
	{"drift", "audit", "a ledger of the recorded refs that drifted or went missing and can still be restored: restore from it (from-ledger) after review"},
}

// OutputNames returns the names of every output, for tests.
func OutputNames() []string {
	var out []string
	for _, o := range outputs {
		out = append(out, o.name)
	}
	return out
}

// RenderActionYML renders action.yml from the option table, so inputs and
// flags cannot drift apart: a test compares it with the file.
func RenderActionYML() string {
	return render(`# Generated from internal/options by internal/action (go test ./internal/action -update).
# Edit the option table, not this file.
`, yamlString(Image)+"\n")
}

// ImageRepository is the repository the release publishes the image to.
const ImageRepository = "ghcr.io/tagguard/tagguard"

// RenderReleaseActionYML renders action.yml for the release commit of
// version: the same inputs and outputs, with the image named by the digest
// promote published, so `uses: tagguard/tagguard@<commit>` runs exactly
// that image and nothing can move it. version is X.Y.Z (with or without v);
// digest is sha256:<64 hex>.
func RenderReleaseActionYML(version, digest string) (string, error) {
	v, ok := policy.ParseVersion(version)
	if !ok {
		return "", fmt.Errorf("version %q is not a semantic version such as 1.2.3", version)
	}
	d, err := refs.ParseDigest(digest)
	if err != nil {
		return "", err
	}
	tag := "v" + v.String()
	return render(fmt.Sprintf(`# tagguard %s. Generated at release from internal/options by internal/tools/releaseyml.
# The image is named by digest: this commit runs exactly the image released as %s.
`, tag, tag), yamlString("docker://"+ImageRepository+"@"+d.String())+" # "+tag+"\n"), nil
}

func render(header, image string) string {
	var b strings.Builder
	b.WriteString(header)
	b.WriteString(`name: tagguard
description: Release guards for container image tags - block overwrites of version tags, record pushed digests, restore tags to recorded digests.
author: tagguard
branding:
  icon: shield
  color: blue
inputs:
  mode:
    description: "What to run: audit (are the recorded tags still where the ledgers say), check (guard before a publish), promote (guard and write the tags of push-by-digest sources), record (after the push), restore (re-point tags at recorded digests) or pin (the ledger on the deploy side: a compose override, a kustomize images list, a lock list, or verify)."
    required: true
`)
	for _, o := range options.Table() {
		fmt.Fprintf(&b, "  %s:\n    description: %s\n    required: false\n", o.Name, yamlString(describe(o)))
		switch {
		case o.Name == "github-token":
			b.WriteString("    default: ${{ github.token }}\n")
		case o.Default != "":
			fmt.Fprintf(&b, "    default: %s\n", yamlString(o.Default))
		}
	}
	b.WriteString("outputs:\n")
	for _, o := range outputs {
		mode := "mode " + o.mode
		if o.mode == "all" {
			mode = "every mode"
		}
		fmt.Fprintf(&b, "  %s:\n    description: %s\n", o.name, yamlString(o.desc+" ("+mode+")"))
	}
	fmt.Fprintf(&b, "runs:\n  using: docker\n  image: %s", image)
	return b.String()
}

func describe(o options.Option) string {
	if o.Commands == nil {
		return o.Usage + " (every mode)"
	}
	return o.Usage + " (mode " + strings.Join(o.Commands, ", ") + ")"
}

// yamlString quotes s as a YAML double-quoted scalar.
func yamlString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
