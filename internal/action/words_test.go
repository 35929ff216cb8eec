package action

import "testing"

// TestSayNamesInputs is issue 12 item 2: in action mode a message names
// the inputs the step's user writes, never the CLI's flags.
func TestSayNamesInputs(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"publish a new version instead; if this re-runs the same build, pass --digest sha256:ab": "publish a new version instead; if this re-runs the same build, pass digest: sha256:ab",
		"pass --base, or --require-base=false to let this pass unchecked":                        "pass base:, or require-base: false to let this pass unchecked",
		"to put the build back: tagguard restore --pin ghcr.io/o/a:1@sha256:ab":                  "to put the build back: mode: restore, pin: ghcr.io/o/a:1@sha256:ab",
		"--from-release v1 needs a GitHub token: --github-token or GITHUB_TOKEN":                 "from-release: v1 needs a GitHub token: github-token: or GITHUB_TOKEN",
		"a registry said --not-an-option and -- alone":                                           "a registry said --not-an-option and -- alone",
		"no flags here": "no flags here",
		"tagguard pin --verify: BLOCKED: 1 differs": "mode: pin, verify: BLOCKED: 1 differs",
	} {
		if got := Say(in); got != want {
			t.Errorf("Say(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}
