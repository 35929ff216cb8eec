package main

import (
	"strings"
	"testing"

	"github.com/tagguard/tagguard/internal/regtest"
)

// TestNoUploadQueryInErrors: a blob upload whose connection drops fails
// with the upload's URL in the error, and that URL's query holds the
// session's _state; nothing tagguard prints may hold a URL query.
func TestNoUploadQueryInErrors(t *testing.T) {
	build := regtest.Distribution(t)
	target := regtest.FaultProxy(t, regtest.Distribution(t).URL, regtest.DropMethod(regtest.KindBlob, "PATCH"))
	src := build.Pusher().PushImage(t, build.Ref("ci/app:build"))
	code, out, errOut := runCLI(t, "promote", "--sources", build.Ref("ci/app@"+src.String()), "--images", target.Ref("org/app:1.0.0"), "--timeout", "30s")
	if code != 3 {
		t.Fatalf("promote with every PATCH dropped: exit %d, want 3\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out+errOut, "/blobs/uploads/") {
		t.Errorf("the failure does not name the upload: the test proves nothing\n%s\n%s", out, errOut)
	}
	for _, q := range []string{"_state", "?"} {
		for _, line := range strings.Split(out+errOut, "\n") {
			if strings.Contains(line, "/blobs/uploads/") && strings.Contains(line, q) {
				t.Errorf("an upload URL's query reached the output (%q): %s", q, line)
			}
		}
	}
}
