package record

import (
	"context"
	"errors"
	"fmt"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/report"
)

// planRelease reads the release notes and says what Apply would do to them.
func planRelease(ctx context.Context, o Options, in input, l *ledger.Ledger) (*ReleaseResult, error) {
	switch {
	case in.noToken != "":
		return &ReleaseResult{Tag: in.noToken, skip: true, Action: "skipped: no GitHub token (--github-token or GITHUB_TOKEN), so the release notes were not written"}, nil
	case in.releaseTag == "":
		return &ReleaseResult{skip: true, Action: "skipped: no --release-tag and the run was not started by a tag"}, nil
	}
	res := &ReleaseResult{Tag: in.releaseTag}
	rel, err := o.GitHub.FindRelease(ctx, in.owner, in.repo, in.releaseTag)
	switch {
	case errors.Is(err, githubapi.ErrReleaseNotFound) && !o.CreateRelease:
		res.skip = true
		res.Action = fmt.Sprintf("skipped: %s/%s has no release %s yet; nothing written to GitHub (the outputs and the ledger file hold the record; --create-release makes a draft)", in.owner, in.repo, in.releaseTag)
		return res, nil
	case errors.Is(err, githubapi.ErrReleaseNotFound):
		res.Action = "would create a draft release (dry run)"
		return res, nil
	case err != nil:
		res.Action = "failed: " + report.OneLine(err.Error())
		return res, errkind.New(errkind.Remote, err)
	}
	res.URL = rel.HTMLURL
	if err := sealedAgrees(ctx, o, in, rel, l, res); err != nil {
		return res, err
	}
	prev, _, err := extract(ctx, o, in, rel, res)
	if err != nil {
		return res, err
	}
	changes, missing := compare(prev, l)
	res.Changes = changes
	if missing == 0 {
		res.Action = "unchanged: the notes already hold every ref at its digest"
		return res, nil
	}
	if _, err := upsert(in, rel.Body, l, res); err != nil && !errors.Is(err, errTooLong) {
		return res, err
	}
	res.Action = "would update the notes (dry run)"
	return res, nil
}

// sealedAgrees refuses, before the notes are touched, a record that would
// change the ledger of a sealed release that has its asset: the asset can
// never change, so notes written now would disagree with it for good, and
// every later restore from the release would be refused as tampered.
func sealedAgrees(ctx context.Context, o Options, in input, rel *githubapi.Release, l *ledger.Ledger, res *ReleaseResult) error {
	a, ok := rel.Asset(ledger.AssetName)
	if !rel.Sealed() || !ok {
		return nil
	}
	b, err := o.GitHub.DownloadAsset(ctx, in.owner, in.repo, a.ID, MaxAsset)
	if err != nil {
		res.Action = "failed: " + report.OneLine(err.Error())
		return errkind.New(errkind.Remote, fmt.Errorf("release %s: reading its sealed ledger asset: %w", in.releaseTag, err))
	}
	sealed, err := ledger.Parse(b)
	if err != nil {
		res.Action = "failed: its sealed asset " + ledger.AssetName + " is not a ledger"
		return errkind.Blockedf("release %s is immutable and published, and its asset %s is not a ledger (%v): record into a new release", in.releaseTag, ledger.AssetName, err)
	}
	if changes, missing := compare(sealed, l); missing > 0 {
		res.Action = "refused: the release is sealed and its ledger asset does not hold these refs at these digests"
		res.Changes = changes
		return errkind.Blockedf("release %s is immutable and published: its ledger asset %s is sealed and does not record %d of these refs as read now, and GitHub refuses to replace it; nothing was written to GitHub: record into a new release (--create-release makes a draft; publish it after tagguard)", in.releaseTag, ledger.AssetName, missing)
	}
	return nil
}

// extract reads the ledger section of the notes, or, where the notes say
// the ledger is too large for them, the release's asset (inAsset); a
// section a person broke is refused, and the notes are left as they are.
func extract(ctx context.Context, o Options, in input, rel *githubapi.Release, res *ReleaseResult) (prev *ledger.Ledger, inAsset bool, err error) {
	prev, _, err = ledger.Extract(rel.Body)
	if errors.Is(err, ledger.ErrInAsset) {
		a, ok := rel.Asset(ledger.AssetName)
		if !ok {
			a, ok = rel.Asset(ledger.PendingAssetName) // a replacement cut short
		}
		if !ok {
			res.Action = "failed: the notes say the ledger is in the asset " + ledger.AssetName + ", and the release has none"
			return nil, true, errkind.Blockedf("release %s: the notes say the ledger is the asset %s alone, but the release has no such asset: someone deleted it; re-record every image of the release", in.releaseTag, ledger.AssetName)
		}
		b, err := o.GitHub.DownloadAsset(ctx, in.owner, in.repo, a.ID, MaxAsset)
		if err != nil {
			res.Action = "failed: " + report.OneLine(err.Error())
			return nil, true, errkind.New(errkind.Remote, err)
		}
		prev, err = ledger.Parse(b)
		if err != nil {
			res.Action = "failed: the asset " + ledger.AssetName + " is not a ledger"
			return nil, true, errkind.Blockedf("release %s: its asset %s is not a ledger (%v)", in.releaseTag, ledger.AssetName, err)
		}
		return prev, true, nil
	}
	if err != nil {
		res.Action = "failed: " + err.Error()
		return nil, false, errkind.New(errkind.Blocked, fmt.Errorf("release %s notes: %w; fix or remove the tagguard section by hand, then re-run", in.releaseTag, err))
	}
	return prev, false, nil
}

func refsOf(l *ledger.Ledger) []string {
	if l == nil {
		return nil
	}
	out := make([]string, 0, len(l.Images))
	for _, im := range l.Images {
		out = append(out, im.Ref)
	}
	return out
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
		case !ledger.SamePlatforms(old.Platforms, im.Platforms) || old.MediaType != im.MediaType || !old.Attached.Equal(im.Attached):
			missing++
			changes = append(changes, lostSince(old, im)...)
		}
	}
	return changes, missing
}

// lostSince says, for one digest recorded again, each kind of attachment
// the earlier record held that this read no longer finds (the image's
// and each platform's): a record never drops a signature from the
// ledger without saying so. nil (not read) on either side says nothing.
func lostSince(old, now ledger.Image) []string {
	var out []string
	say := func(what, digest string, was, is *ledger.Attached) {
		if was == nil || is == nil {
			return
		}
		if lost := oci.Lost(oci.FromRecord(was), oci.FromRecord(is)); lost != "" {
			out = append(out, fmt.Sprintf("%s%s was recorded with %s (%s); its %s are gone now, and the ledger records it as read now", now.Ref, what, oci.FromRecord(was), digest, lost))
		}
	}
	say("", now.Digest, old.Attached, now.Attached)
	was := map[string]*ledger.Attached{}
	for _, p := range old.Platforms {
		was[p.Digest] = p.Attached
	}
	for _, p := range now.Platforms {
		say(" ("+p.Platform+")", p.Digest, was[p.Digest], p.Attached)
	}
	return out
}
