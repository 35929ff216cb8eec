package record

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/report"
)

// maxBody is GitHub's limit on a release body, in characters.
const maxBody = 125000

// editAttempts bounds the read-merge-write rounds when another record step
// edits the same notes at the same time.
const editAttempts = 3

// annotate writes the ledger section into the release notes: merged with a
// section already there, the rest of the body untouched, and no write at all
// when the notes already hold every ref at its digest. GitHub has no
// conditional edit, so every write is followed by another round's read:
// when another record step wrote in between and dropped these refs, it
// merges again.
func annotate(ctx context.Context, o Options, in input, l *ledger.Ledger, res *ReleaseResult) error {
	writes := 0
	for {
		rel, err := o.GitHub.FindRelease(ctx, in.owner, in.repo, in.releaseTag)
		switch {
		case errors.Is(err, githubapi.ErrReleaseNotFound) && writes == 0:
			return createRelease(ctx, o, in, l, res)
		case err != nil && writes > 0:
			res.Action = "updated the notes, but could not read them back to verify: " + report.OneLine(err.Error())
			return errkind.New(errkind.Remote, err)
		case err != nil:
			res.Action = "failed: " + report.OneLine(err.Error())
			return errkind.New(errkind.Remote, err)
		}
		res.URL = rel.HTMLURL
		prev, _, err := ledger.Extract(rel.Body)
		if err != nil {
			// A section a person broke: say so and leave the notes as they are.
			res.Action = "failed: " + err.Error()
			return errkind.New(errkind.Blocked, fmt.Errorf("release %s notes: %w; fix or remove the tagguard section by hand, then re-run", in.releaseTag, err))
		}
		changes, missing := compare(prev, l)
		if writes == 0 {
			res.Changes = changes
		}
		if missing == 0 {
			switch writes {
			case 0:
				res.Action = "unchanged: the notes already hold every ref at its digest"
			case 1:
				res.Action = "updated the notes"
			default:
				res.Action = "updated the notes (merged again after another record step's edit)"
			}
			return nil
		}
		if writes == editAttempts {
			res.Action = "failed: the notes kept changing under this record step"
			return errkind.Remotef("release %s: another writer kept replacing the notes; %d refs are still missing after %d attempts: re-run record", in.releaseTag, missing, editAttempts)
		}
		body, err := ledger.Upsert(rel.Body, l)
		if err != nil {
			res.Action = "failed: " + err.Error()
			return errkind.New(errkind.Blocked, fmt.Errorf("release %s notes: %w", in.releaseTag, err))
		}
		if n := len([]rune(body)); n > maxBody {
			res.Action = fmt.Sprintf("failed: the notes would be %d characters, over GitHub's limit of %d", n, maxBody)
			return errkind.New(errkind.Blocked, fmt.Errorf("release %s: %s; nothing written to GitHub (the outputs and --ledger-file still hold the record)", in.releaseTag, res.Action[len("failed: "):]))
		}
		if o.DryRun {
			res.Action = "would update the notes (dry run)"
			return nil
		}
		if _, err := o.GitHub.EditReleaseBody(ctx, in.owner, in.repo, rel.ID, body); err != nil {
			res.Action = "failed: " + report.OneLine(err.Error())
			return errkind.New(errkind.Remote, err)
		}
		writes++
	}
}

// compare says how l differs from the ledger already in the notes: a line
// per ref whose recorded digest changes, and how many refs of l the notes
// lack or hold at another digest.
func compare(prev, l *ledger.Ledger) (changes []string, missing int) {
	had := map[string]ledger.Image{}
	if prev != nil {
		for _, im := range prev.Images {
			had[im.Ref] = im
		}
	}
	for _, im := range l.Images {
		old, ok := had[im.Ref]
		switch {
		case !ok:
			missing++
		case old.Digest != im.Digest:
			missing++
			changes = append(changes, fmt.Sprintf("%s was recorded at %s, now at %s", im.Ref, old.Digest, im.Digest))
		case !slices.Equal(old.Platforms, im.Platforms) || old.MediaType != im.MediaType:
			missing++
		}
	}
	return changes, missing
}

// createRelease makes a draft holding the ledger, when asked to.
func createRelease(ctx context.Context, o Options, in input, l *ledger.Ledger, res *ReleaseResult) error {
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
		res.Action = "failed: " + report.OneLine(err.Error())
		return errkind.New(errkind.Remote, err)
	}
	res.Action, res.URL = "created a draft release with the ledger", rel.HTMLURL
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
