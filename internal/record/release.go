package record

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/ledger"
)

// maxBody is GitHub's limit on a release body, in characters.
const maxBody = 125000

// annotate writes the ledger section into the release notes: merged with a
// section already there, the rest of the body untouched, and no write at all
// when nothing would change.
func annotate(ctx context.Context, o Options, in input, l *ledger.Ledger, res *ReleaseResult) error {
	rel, err := o.GitHub.FindRelease(ctx, in.owner, in.repo, in.releaseTag)
	if errors.Is(err, githubapi.ErrReleaseNotFound) {
		if !o.CreateRelease {
			res.Action = fmt.Sprintf("skipped: %s/%s has no release %s yet; nothing written to GitHub (the outputs and the ledger file hold the record; --create-release makes a draft)", in.owner, in.repo, in.releaseTag)
			return nil
		}
		if o.DryRun {
			res.Action = "would create a draft release (dry run)"
			return nil
		}
		body, err := ledger.Upsert("", l)
		if err != nil {
			return errkind.New(errkind.Remote, err)
		}
		rel, err := o.GitHub.CreateDraftRelease(ctx, in.owner, in.repo, in.releaseTag, body)
		if err != nil {
			res.Action = "failed: " + err.Error()
			return errkind.New(errkind.Remote, err)
		}
		res.Action, res.URL = "created a draft release with the ledger", rel.HTMLURL
		return nil
	}
	if err != nil {
		res.Action = "failed: " + err.Error()
		return errkind.New(errkind.Remote, err)
	}
	res.URL = rel.HTMLURL
	body, err := ledger.Upsert(rel.Body, l)
	if err != nil {
		// A section a person broke: say so and leave the notes as they are.
		res.Action = "failed: " + err.Error()
		return errkind.New(errkind.Blocked, fmt.Errorf("release %s notes: %w; fix or remove the tagguard section by hand, then re-run", in.releaseTag, err))
	}
	if n := len([]rune(body)); n > maxBody {
		res.Action = fmt.Sprintf("failed: the notes would be %d characters, over GitHub's limit of %d", n, maxBody)
		return errkind.New(errkind.Blocked, fmt.Errorf("release %s: %s; nothing written to GitHub (the outputs and --ledger-file still hold the record)", in.releaseTag, res.Action[len("failed: "):]))
	}
	switch {
	case body == rel.Body:
		res.Action = "unchanged: the notes already hold this ledger"
	case o.DryRun:
		res.Action = "would update the notes (dry run)"
	default:
		if _, err := o.GitHub.EditReleaseBody(ctx, in.owner, in.repo, rel.ID, body); err != nil {
			res.Action = "failed: " + err.Error()
			return errkind.New(errkind.Remote, err)
		}
		res.Action = "updated the notes"
	}
	return nil
}

// writeFileAtomic writes via a temporary file and a rename, so a reader (or
// an artifact upload) never sees half a ledger.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tagguard-ledger-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
