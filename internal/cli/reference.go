package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Reference is the command reference in Markdown, made from the command
// tree itself (as crane's and gh's manuals are), so docs/commands.md
// cannot drift from the flags: a test compares the two.
func Reference() string {
	code := 0
	root := newRoot(context.Background(), io.Discard, io.Discard, func(string) string { return "" }, nil, &code)
	root.InitDefaultHelpFlag()
	var b strings.Builder
	b.WriteString("# Command reference\n\n")
	b.WriteString("Generated from the command tree (`go test ./internal/docs -update` rewrites it; a test fails when it is stale). ")
	b.WriteString("Every flag is also an action input of the same name (`images` ↔ `--images`).\n\n")
	for _, c := range root.Commands() {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		fmt.Fprintf(&b, "- [`tagguard %s`](#tagguard-%s): %s\n", c.Name(), c.Name(), c.Short)
	}
	b.WriteString("\n## Common flags\n\nThey go before or after the command.\n\n```\n")
	b.WriteString(root.PersistentFlags().FlagUsagesWrapped(0))
	b.WriteString("```\n")
	for _, c := range root.Commands() {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		section(&b, c)
	}
	return b.String()
}

func section(b *strings.Builder, c *cobra.Command) {
	fmt.Fprintf(b, "\n## tagguard %s\n\n%s.\n\n```\n%s\n```\n", c.Name(), c.Short, c.UseLine())
	if c.Long != "" {
		fmt.Fprintf(b, "\n```text\n%s\n```\n", strings.TrimSpace(c.Long))
	}
	if f := c.LocalNonPersistentFlags().FlagUsagesWrapped(0); strings.TrimSpace(f) != "" {
		fmt.Fprintf(b, "\nFlags:\n\n```\n%s```\n", f)
	}
}
