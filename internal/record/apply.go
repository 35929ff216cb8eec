package record

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tagguard/tagguard/internal/files"
	"github.com/tagguard/tagguard/internal/retry"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/report"
)

// maxBody is GitHub's limit on a release body, in characters.
const maxBody = 125000

// editAttempts bounds the read-merge-write rounds when another record step
// edits the same notes at the same time; retryAttempts bounds the writes
// GitHub refused for now (a secondary rate limit, a 5xx).
const (
	editAttempts  = 3
	retryAttempts = 5
)

// Apply writes the ledger file, then the release notes, and reads the notes
// back. The report says which writes happened.
func (p *Plan) Apply(ctx context.Context) (*Report, error) {
	r := p.Report()
	r.PlanOnly = false
	r.finish()
	if report.Blocks(r) {
		return r, nil // refused or blocked: nothing is written
	}
	if p.o.LedgerFile != "" {
		r.LedgerFile = &FileResult{Path: p.o.LedgerFile}
		data, merged := mergeIntoFile(ctx, p.o.LedgerFile, p.ledger, []byte(r.Outputs.Ledger+"\n"))
		if err := p.o.writeFile(ctx, p.o.LedgerFile, data); err != nil {
			r.LedgerFile.Action = "failed: " + err.Error()
			return r, r.settle(errkind.New(errkind.BadInput, fmt.Errorf("writing ledger file %s: %w", p.o.LedgerFile, err)), "the ledger file could not be written")
		}
		r.LedgerFile.Action = "written"
		if merged {
			r.LedgerFile.Action = "merged into the ledger of the same release it held"
		}
		r.Outputs.LedgerDigest = LedgerDigest(data)
	}
	if r.Release == nil || r.Release.skip {
		return r, nil
	}
	r.Release.Action, r.Release.Changes = "", nil
	if err := annotate(ctx, p.o, p.in, p.ledger, r.Release); err != nil {
		return r, r.settle(err, "the release notes were not written")
	}
	if err := seal(ctx, p.o, p.in, r.Release); err != nil {
		return r, r.settle(err, "the ledger asset was not written (the notes were)")
	}
	if r.Release.LedgerDigest != "" {
		r.Outputs.LedgerDigest = r.Release.LedgerDigest
	}
	return r, nil
}

// settle ends a record that read its refs but did not land its ledger:
// the headline gets the verdict of err's exit code, never OK. A refusal
// (a sealed release, notes tagguard will not overwrite) becomes the
// report's Refusal and settle returns nil: exit 1, with what was written
// said. Any other err is returned as it is.
func (r *Report) settle(err error, what string) error {
	verdict := "FAILED"
	if errkind.Of(err) == errkind.Blocked {
		verdict = "BLOCKED"
		r.Refuse("%s", err.Error())
		err = nil
	}
	r.Summary = fmt.Sprintf("%s: read %s, but %s (the outputs hold the record)", verdict, report.Plural(len(r.Images), "ref"), what)
	return err
}

// mergeIntoFile is what --ledger-file gets: this run's ledger, merged
// into the one the file holds when that is the same release's (its
// source ref, such as refs/tags/v1.2.3, is this run's) — a release of
// several images written by several steps into one file, as the notes
// merge them. Any other file is replaced, as before.
func mergeIntoFile(ctx context.Context, path string, l *ledger.Ledger, mine []byte) ([]byte, bool) {
	b, err := files.Read(ctx, path, files.MaxSize)
	if err != nil || l == nil || l.Source.Ref == "" {
		return mine, false
	}
	prev, err := ledger.Parse(b)
	if err != nil || prev.Source.Ref != l.Source.Ref || prev.Source.Repository != l.Source.Repository {
		return mine, false
	}
	merged, err := ledger.Merge(prev, l).Marshal()
	if err != nil {
		return mine, false
	}
	return merged, true
}

func (o Options) writeFile(ctx context.Context, path string, data []byte) error {
	if o.WriteFile != nil {
		return o.WriteFile(path, data)
	}
	return files.Write(ctx, path, data)
}

// createRelease makes a draft holding the ledger.
func createRelease(ctx context.Context, o Options, in input, l *ledger.Ledger, res *ReleaseResult) error {
	body, err := upsert(in, "", l, res)
	if errors.Is(err, errTooLong) {
		res.sealing = ledger.Merge(nil, l)
		body, err = ledger.UpsertPointer("", res.sealing, maxBody)
	}
	if err != nil {
		return err
	}
	rel, err := o.GitHub.CreateDraftRelease(ctx, in.owner, in.repo, in.releaseTag, body)
	if err != nil {
		res.Action = "failed: " + report.OneLine(err.Error())
		return errkind.New(errkind.Remote, err)
	}
	res.Action, res.URL = "created a draft release with the ledger", rel.HTMLURL
	return nil
}

// annotate writes the ledger section into the release notes: merged with a
// section already there, the rest of the body untouched, and no write at
// all when the notes already hold every ref at its digest. GitHub has no
// conditional edit, so every write is followed by another round's read:
// when another record step wrote in between and dropped these refs, it
// merges again. A write GitHub refused for now (a secondary rate limit) is
// never sent again as it was: the next round reads and merges afresh.
// The last read proves that every entry this step merged over is still
// there.
func annotate(ctx context.Context, o Options, in input, l *ledger.Ledger, res *ReleaseResult) error {
	writes, refused := 0, 0
	mergedOver := map[string]bool{} // refs in the notes under this step's writes
	for {
		rel, err := o.GitHub.FindRelease(ctx, in.owner, in.repo, in.releaseTag)
		switch {
		case errors.Is(err, githubapi.ErrReleaseNotFound) && writes == 0:
			if !o.CreateRelease {
				res.Action = fmt.Sprintf("failed: release %s disappeared after the plan read it", in.releaseTag)
				return errkind.Remotef("release %s of %s/%s disappeared while record ran; nothing written to GitHub: re-run record", in.releaseTag, in.owner, in.repo)
			}
			err := createRelease(ctx, o, in, l, res)
			if wait, ok := retryable(err); ok && refused < retryAttempts {
				refused++
				if err := waitToRetry(ctx, wait, in, res); err != nil {
					return err
				}
				continue // another round: the draft may exist after all
			}
			return err
		case err != nil && writes > 0:
			res.Action = "updated the notes, but could not read them back to verify: " + report.OneLine(err.Error())
			return errkind.Remotef("release %s: the notes were written but could not be read back (%v): check that they hold %s, or re-run record", in.releaseTag, err, strings.Join(refsOf(l), ", "))
		case err != nil:
			res.Action = "failed: " + report.OneLine(err.Error())
			return errkind.New(errkind.Remote, err)
		}
		res.URL = rel.HTMLURL
		prev, inAsset, err := extract(ctx, o, in, rel, res)
		if err != nil {
			return err
		}
		changes, missing := compare(prev, l)
		if writes == 0 && refused == 0 {
			res.Changes = changes
		}
		if missing == 0 {
			return verified(in, prev, mergedOver, writes, res)
		}
		if writes == editAttempts {
			res.Action = "failed: the notes kept changing under this record step"
			return errkind.Remotef("release %s: another writer kept replacing the notes; %d refs are still missing after %d attempts: re-run record", in.releaseTag, missing, editAttempts)
		}
		body, err := upsert(in, rel.Body, l, res)
		pointer := inAsset || errors.Is(err, errTooLong)
		if pointer {
			// Too large for the notes: they keep the table as far as it
			// fits and say the asset holds the ledger, which seal writes.
			res.sealing = ledger.Merge(prev, l)
			body, err = ledger.UpsertPointer(rel.Body, res.sealing, maxBody)
			if err != nil {
				res.Action = "failed: " + err.Error()
				return errkind.Blockedf("release %s: %v; nothing written to GitHub (the outputs hold the record)", in.releaseTag, err)
			}
		}
		if err != nil {
			return err
		}
		_, err = o.GitHub.EditReleaseBody(ctx, in.owner, in.repo, rel.ID, body)
		if wait, ok := retryable(err); ok && refused < retryAttempts {
			refused++
			if err := waitToRetry(ctx, wait, in, res); err != nil {
				return err
			}
			continue // the write may or may not have landed: read again
		}
		if err != nil {
			res.Action = "failed: " + report.OneLine(err.Error())
			return errkind.New(errkind.Remote, err)
		}
		if pointer {
			// The notes cannot show what they hold: the asset, written
			// next, is the record, and seal merges with what it held.
			res.Action = "updated the notes: the ledger is too large for them (over GitHub's 125,000 characters), so the asset " + ledger.AssetName + " holds it alone"
			return nil
		}
		for _, ref := range refsOf(prev) {
			mergedOver[ref] = true
		}
		writes++
	}
}

// verified checks the last read: every ref this step merged over must
// still be in the notes. Another writer that dropped one (an older
// tagguard, a hand edit) is reported by name, never silently accepted.
func verified(in input, now *ledger.Ledger, mergedOver map[string]bool, writes int, res *ReleaseResult) error {
	have := map[string]bool{}
	for _, ref := range refsOf(now) {
		have[ref] = true
	}
	var lost []string
	for ref := range mergedOver {
		if !have[ref] {
			lost = append(lost, ref)
		}
	}
	if len(lost) > 0 {
		slices.Sort(lost)
		res.Action = "failed: entries this step kept were removed by another writer: " + strings.Join(lost, ", ")
		return errkind.Remotef("release %s: after this step wrote the notes, another writer removed %s; re-record them (tagguard record --images %s --release-tag %s)",
			in.releaseTag, strings.Join(lost, ", "), strings.Join(lost, ","), in.releaseTag)
	}
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

// retryable says whether GitHub refused a write for now, and for how long:
// the write is then made again only after a fresh read and merge.
func retryable(err error) (time.Duration, bool) { return githubapi.RetryAfter(err) }

func waitToRetry(ctx context.Context, wait time.Duration, in input, res *ReleaseResult) error {
	if dl, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(dl) {
		res.Action = "failed: GitHub asked to wait past --timeout"
		return errkind.Remotef("release %s: GitHub refused the write for %s, past --timeout; nothing of this step is in the notes: re-run record", in.releaseTag, wait.Round(time.Second))
	}
	if err := retry.Sleep(ctx, wait); err != nil {
		res.Action = "failed: " + err.Error()
		return errkind.New(errkind.Remote, err)
	}
	return nil
}

// upsert merges l into the notes, within GitHub's limit on their length.
func upsert(in input, body string, l *ledger.Ledger, res *ReleaseResult) (string, error) {
	out, err := ledger.UpsertFor(body, l, in.releaseTag)
	if err != nil {
		res.Action = "failed: " + err.Error()
		return "", errkind.New(errkind.Blocked, fmt.Errorf("release %s notes: %w; fix or remove the tagguard section by hand, then re-run", in.releaseTag, err))
	}
	if n := len([]rune(out)); n > maxBody {
		res.Action = fmt.Sprintf("failed: the notes would be %d characters, over GitHub's limit of %d", n, maxBody)
		return "", errkind.New(errkind.Blocked, fmt.Errorf("release %s: the notes would be %d characters, over GitHub's limit of %d: %w", in.releaseTag, n, maxBody, errTooLong))
	}
	return out, nil
}

// errTooLong is notes that would pass GitHub's limit with the ledger in
// them: the ledger then goes to the asset alone.
var errTooLong = errors.New("the ledger goes to the release asset alone")
