package app

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/files"
	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/refs"
	"github.com/tagguard/tagguard/internal/report"
)

// listFiles pairs each file option with the list it adds to, and the
// grammar each line must pass.
var listFiles = []struct {
	file, list string
	problem    func(string) string
}{
	{options.ImagesFile, options.Images, refs.Problem},
	{options.SourcesFile, options.Sources, sourceProblem},
}

// readLists adds the references of --images-file and --sources-file to
// --images and --sources: one a line, blank lines and # comments skipped,
// each line held to the reference grammar with its line number, before
// any request. The files are bounded like every file input; "-" is
// standard input, read within ctx.
func readLists(ctx context.Context, vals *options.Values, stdin io.Reader) error {
	for _, lf := range listFiles {
		path := vals.String(lf.file)
		if path == "" {
			continue
		}
		flag := "--" + lf.file
		var b []byte
		var err error
		switch {
		case path == "-" && stdin == nil:
			return errkind.BadInputf("%s -: there is no standard input here; name a file", flag)
		case path == "-":
			b, err = files.ReadStdin(ctx, stdin, files.MaxSize)
		default:
			b, err = files.Read(ctx, path, files.MaxSize)
		}
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			return errkind.BadInputf("%s %s: %v", flag, path, err)
		}
		var refsRead []string
		var bad []string
		for i, line := range strings.Split(string(b), "\n") {
			if c := strings.IndexByte(line, '#'); c >= 0 {
				line = line[:c]
			}
			if line = strings.TrimSpace(line); line == "" {
				continue
			}
			if p := lf.problem(line); p != "" {
				if len(bad) < 10 {
					bad = append(bad, fmt.Sprintf("line %d: %s %s", i+1, shown(line), p))
				}
				continue
			}
			refsRead = append(refsRead, line)
		}
		if len(bad) > 0 {
			return errkind.BadInputf("%s %s: %s", flag, path, strings.Join(bad, "; "))
		}
		if len(refsRead) == 0 {
			return errkind.BadInputf("%s %s holds no reference", flag, path)
		}
		if path != "-" {
			for _, out := range []string{options.LedgerFile, options.DriftFile, options.UndoFile, options.Output} {
				if err := files.CheckOutput("--"+out, vals.String(out), path); err != nil && strings.Contains(err.Error(), "which this run reads") {
					return errkind.New(errkind.BadInput, err)
				}
			}
		}
		vals.Append(lf.list, strings.Join(refsRead, "\n"))
	}
	return nil
}

// shown quotes a refused line only when it could be a reference: the file
// may be anything (a link to a Docker config or a .env file), read before
// any credential in it is known to the masker, and a line that holds a
// character no reference has is named by its number alone.
func shown(line string) string {
	if len(line) > refs.MaxLen+refs.DigestLen+1 || strings.ContainsFunc(line, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/:@[]", r))
	}) {
		return "(not shown: it holds characters no image reference has)"
	}
	return fmt.Sprintf("%q", report.Clip(line, 200))
}

// sourceProblem is the grammar of a --sources line: REPO@sha256:….
func sourceProblem(s string) string {
	repo, _, ok := strings.Cut(s, "@")
	if !ok || strings.Contains(repo[strings.LastIndex(repo, "/")+1:], ":") {
		return "is not REPO@sha256:<digest> (a source names a digest, not a tag)"
	}
	return refs.ImageProblem(s)
}
