package action

import "testing"

// TestSayNamesInputs: in action mode a message names the inputs the
// step's user writes, never the CLI's flags, in sentences that still read:
// a suggested command becomes a step's inputs, a flag in prose its input.
func TestSayNamesInputs(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"publish a new version instead; if this re-runs the same build, pass --digest with the digest that build produced": "publish a new version instead; if this re-runs the same build, pass the digest input with the digest that build produced",
		"pass --base, or --require-base=false to let this pass unchecked":                                                  "pass the base input, or require-base: false to let this pass unchecked",
		"to put the build back: tagguard restore --pin ghcr.io/o/a:1@sha256:ab":                                            "to put the build back: mode: restore, pin: ghcr.io/o/a:1@sha256:ab",
		"then: tagguard restore --from-ledger drift.json --dry-run":                                                        "then: mode: restore, from-ledger: drift.json, dry-run: true",
		"--from-release v1 needs a GitHub token: --github-token or GITHUB_TOKEN":                                           "from-release: v1 needs a GitHub token: the github-token input or GITHUB_TOKEN",
		"if this re-runs the same build, pass --digest sha256:ab":                                                          "if this re-runs the same build, pass digest: sha256:ab",
		"the release comes from main (--base)":                                                                             "the release comes from main (the base input)",
		"a registry said --not-an-option and -- alone":                                                                     "a registry said --not-an-option and -- alone",
		"no flags here": "no flags here",
		"tagguard pin --verify: BLOCKED: 1 differs": "mode: pin, verify: true — BLOCKED: 1 differs",
	} {
		if got := Say(in); got != want {
			t.Errorf("Say(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}
