package record

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/report"
)

// AssetName is the release asset that holds the ledger.
const AssetName = ledger.AssetName

// pendingName is where a new ledger asset waits, uploaded whole, until the
// old one is deleted and it is renamed into place.
const pendingName = ledger.PendingAssetName

// MaxAsset bounds the ledger asset tagguard downloads: ledger.MaxSize.
const MaxAsset = ledger.MaxSize

// LedgerDigest is the sha256 of ledger bytes, as the ledger-digest output
// names them (what actions/attest-build-provenance's subject-digest takes).
func LedgerDigest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// seal makes the release's asset hold the ledger the notes now hold
// (merged with what an earlier asset held: an entry is never dropped):
// uploaded when the release has none, left alone when it holds these
// bytes already, replaced on a mutable release when it holds others. A
// sealed release (immutable, published) takes no new asset and no
// replacement: that is refused, the notes written all the same.
func seal(ctx context.Context, o Options, in input, res *ReleaseResult) error {
	for round := 1; ; round++ {
		err := sealOnce(ctx, o, in, res)
		if errors.Is(err, githubapi.ErrAssetExists) && round < editAttempts {
			continue // another record step uploaded first: read and merge again
		}
		return err
	}
}

func sealOnce(ctx context.Context, o Options, in input, res *ReleaseResult) error {
	rel, err := o.GitHub.FindRelease(ctx, in.owner, in.repo, in.releaseTag)
	if err != nil {
		res.Asset = "failed: " + report.OneLine(err.Error())
		return errkind.New(errkind.Remote, fmt.Errorf("release %s: the notes were written, but reading the release for its ledger asset failed: %w; re-run record", in.releaseTag, err))
	}
	notes, _, err := ledger.Extract(rel.Body)
	switch {
	case errors.Is(err, ledger.ErrInAsset):
		notes = res.sealing // nil when the notes were already right
	case err != nil || notes == nil:
		res.Asset = "failed: the notes hold no readable ledger to seal"
		return errkind.Remotef("release %s: the notes hold no readable ledger after record wrote them: re-run record", in.releaseTag)
	}
	fail := func(what string, err error) error {
		res.Asset = "failed: " + report.OneLine(err.Error())
		if errors.Is(err, githubapi.ErrRefused) {
			// GitHub's 422 is the seal only if the release is sealed now:
			// published as immutable while record ran. Any other 422 is
			// a failure, with GitHub's words.
			if now, ferr := o.GitHub.FindRelease(ctx, in.owner, in.repo, in.releaseTag); ferr == nil && now.Sealed() {
				res.Asset = "refused: the release was published as immutable while record ran"
				return errkind.Blockedf("release %s: %s: it was published as immutable while record ran, and GitHub refuses any change to its assets; the notes were written, but they are evidence anyone with write access can edit: re-run record to see what the release holds, or record into a new release", in.releaseTag, what)
			}
		}
		return errkind.New(errkind.Remote, fmt.Errorf("release %s: %s: %w; re-run record", in.releaseTag, what, err))
	}
	// What the release holds: the asset, and a pending one a replacement
	// cut short left (a superset of the asset it was to replace). Both are
	// merged with the notes, so no entry either held is dropped.
	final, hasFinal := rel.Asset(AssetName)
	pending, hasPending := rel.Asset(pendingName)
	held := map[string][]byte{}
	want := notes
	for _, a := range []struct {
		asset githubapi.Asset
		ok    bool
	}{{pending, hasPending}, {final, hasFinal}} {
		if !a.ok {
			continue
		}
		b, err := o.GitHub.DownloadAsset(ctx, in.owner, in.repo, a.asset.ID, MaxAsset)
		if err != nil {
			return fail("reading its ledger asset "+a.asset.Name, err)
		}
		held[a.asset.Name] = b
		prev, perr := ledger.Parse(b)
		switch {
		case perr != nil && !rel.Sealed():
			res.Asset = "failed: the asset " + a.asset.Name + " is not a ledger: " + report.OneLine(perr.Error())
			return errkind.Blockedf("release %s: its asset %s is not a ledger (%v): delete it by hand or look into who wrote it, then re-run record", in.releaseTag, a.asset.Name, perr)
		case perr == nil && want == nil:
			want = prev // the notes point to the asset and this run added nothing
		case perr == nil:
			want = ledger.Merge(prev, want)
		}
	}
	if want == nil {
		res.Asset = "failed: the notes say the ledger is in the asset, and the release has none"
		return errkind.Blockedf("release %s: the notes say the ledger is the asset %s alone, but there is none: re-record every image of the release", in.releaseTag, ledger.AssetName)
	}
	data, err := want.Marshal()
	if err != nil {
		res.Asset = "failed: " + err.Error()
		return errkind.New(errkind.Remote, fmt.Errorf("release %s: the ledger asset: %w", in.releaseTag, err))
	}
	res.LedgerDigest = LedgerDigest(data)
	// The asset a reader takes: the final one, else a pending one.
	current, hasCurrent := final, hasFinal
	if !hasFinal {
		current, hasCurrent = pending, hasPending
	}
	switch {
	case hasCurrent && bytes.Equal(held[current.Name], data) && (current.Name == AssetName || rel.Sealed()):
		if hasFinal && hasPending && !rel.Sealed() {
			if err := o.GitHub.DeleteAsset(ctx, in.owner, in.repo, pending.ID); err != nil {
				return fail("deleting the pending asset "+pendingName+" a cut-short run left", err)
			}
		}
		res.Asset = "unchanged: " + current.Name + " already holds the ledger"
		return nil
	case rel.Sealed() && hasCurrent:
		res.Asset = "refused: the release is immutable and published, and its " + current.Name + " holds another ledger"
		res.LedgerDigest = LedgerDigest(held[current.Name])
		return errkind.Blockedf("release %s is immutable and published: its asset %s holds another ledger than the notes now do, and GitHub refuses to replace it; the notes were written, but they are evidence anyone with write access can edit: record into a new release instead (--create-release, publish after tagguard)", in.releaseTag, current.Name)
	case rel.Sealed():
		res.Asset = "refused: the release is immutable and published, so GitHub takes no new asset; the ledger is in the notes only"
		res.LedgerDigest = ""
		return errkind.Blockedf("release %s is immutable and published: GitHub refuses new assets, so the ledger is in the notes only, which anyone with write access can edit; record while the release is a draft (--create-release, or create it as a draft) and publish it after tagguard has run", in.releaseTag)
	case !hasFinal:
		// The name is free: the ledger goes there directly, and a pending
		// asset (merged above) is deleted only once it is in place.
		if _, err := o.GitHub.UploadAsset(ctx, in.owner, in.repo, rel, AssetName, data); err != nil {
			return fail("uploading "+AssetName, err)
		}
		if hasPending {
			if err := o.GitHub.DeleteAsset(ctx, in.owner, in.repo, pending.ID); err != nil {
				return fail("deleting the pending asset "+pendingName+" (the ledger is in place)", err)
			}
			res.Asset = "replaced " + pendingName + ", left by a run cut short, with " + AssetName
			return nil
		}
		res.Asset = "uploaded " + AssetName
		return nil
	}
	// A replacement: the new ledger is uploaded whole under the pending
	// name, then the old asset deleted and the pending one renamed into
	// place; a failure at any step leaves the whole ledger in one asset or
	// the other, and a re-run finishes the job.
	if hasPending {
		// Both are there: the pending one holds at least what the old one
		// does, so the old one goes first, then the ledger takes its name,
		// then the pending one goes.
		if err := o.GitHub.DeleteAsset(ctx, in.owner, in.repo, final.ID); err != nil {
			return fail("deleting the old "+AssetName, err)
		}
		if _, err := o.GitHub.UploadAsset(ctx, in.owner, in.repo, rel, AssetName, data); err != nil {
			return fail("uploading "+AssetName+" ("+pendingName+" still holds the ledger before this run)", err)
		}
		if err := o.GitHub.DeleteAsset(ctx, in.owner, in.repo, pending.ID); err != nil {
			return fail("deleting the pending asset "+pendingName+" (the ledger is in place)", err)
		}
		res.Asset = "replaced " + AssetName + " with a merge that keeps every entry it held"
		return nil
	}
	up, err := o.GitHub.UploadAsset(ctx, in.owner, in.repo, rel, pendingName, data)
	if err != nil {
		return fail("uploading the ledger as "+pendingName, err)
	}
	if err := o.GitHub.DeleteAsset(ctx, in.owner, in.repo, final.ID); err != nil {
		return fail("deleting the old "+AssetName+" (the new ledger waits as "+pendingName+")", err)
	}
	if err := o.GitHub.RenameAsset(ctx, in.owner, in.repo, up.ID, AssetName); err != nil {
		return fail("renaming "+pendingName+" to "+AssetName+" (it holds the whole ledger)", err)
	}
	res.Asset = "replaced " + AssetName + " with a merge that keeps every entry it held"
	return nil
}
