package docs

import (
	"flag"
	"testing"

	"github.com/tagguard/tagguard/internal/cli"
	"github.com/tagguard/tagguard/internal/golden"
)

var update = flag.Bool("update", false, "rewrite docs/commands.md from the command tree")

// TestCommandReferenceIsCurrent holds docs/commands.md to the command
// tree: a flag added, renamed or reworded shows as a stale reference
// (go test ./internal/docs -update rewrites it).
func TestCommandReferenceIsCurrent(t *testing.T) {
	golden.File(t, "../../docs/commands.md", []byte(cli.Reference()), *update)
}
