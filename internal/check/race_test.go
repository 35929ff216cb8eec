package check

import (
	"fmt"
	"testing"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/regtest"
)

// TestManyFloatingRepositories reads many repositories' tag lists at once;
// run with -race, it guards the tag-list bookkeeping.
func TestManyFloatingRepositories(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	var images []string
	for i := range 60 {
		images = append(images, srv.Ref(fmt.Sprintf("org/app%d:latest", i)), srv.Ref(fmt.Sprintf("org/app%d:1.0.0", i)))
	}
	r := run(t, Options{Images: images, Run: command.Run{Jobs: 16}, Guards: Guards{Version: "1.0.0"}})
	if r.Blocked {
		t.Errorf("blocked: %s", r.Summary)
	}
}
