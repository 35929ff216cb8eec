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
const pendingName = AssetName + ".pending"

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
	inAsset := errors.Is(err, ledger.ErrInAsset)
	switch {
	case inAsset:
		notes = res.sealing // nil when the notes were already right
	case err != nil || notes == nil:
		res.Asset = "failed: the notes hold no readable ledger to seal"
		return errkind.Remotef("release %s: the notes hold no readable ledger after record wrote them: re-run record", in.releaseTag)
	}
	want := notes
	old, has := rel.Asset(AssetName)
	pending, hasPending := rel.Asset(pendingName)
	if !has && hasPending && !rel.Sealed() {
		// A replacement cut short after the old asset was deleted: the
		// pending upload holds everything it held.
		old, has = pending, true
	}
	var oldBytes []byte
	if has {
		oldBytes, err = o.GitHub.DownloadAsset(ctx, in.owner, in.repo, old.ID, MaxAsset)
		if err != nil {
			res.Asset = "failed: " + report.OneLine(err.Error())
			return errkind.New(errkind.Remote, fmt.Errorf("release %s: reading its ledger asset: %w", in.releaseTag, err))
		}
		prev, perr := ledger.Parse(oldBytes)
		if perr != nil && !rel.Sealed() {
			res.Asset = "failed: the asset " + AssetName + " is not a ledger: " + report.OneLine(perr.Error())
			return errkind.Blockedf("release %s: its asset %s is not a ledger (%v): delete it by hand or look into who wrote it, then re-run record", in.releaseTag, AssetName, perr)
		}
		switch {
		case perr == nil && notes == nil:
			want = prev // the notes point here and this run added nothing
		case perr == nil:
			want = ledger.Merge(prev, notes)
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
	switch {
	case has && bytes.Equal(oldBytes, data):
		res.Asset = "unchanged: " + AssetName + " already holds the ledger"
		return nil
	case rel.Sealed() && has:
		res.Asset = "refused: the release is immutable and published, and its " + AssetName + " holds another ledger"
		res.LedgerDigest = LedgerDigest(oldBytes)
		return errkind.Blockedf("release %s is immutable and published: its asset %s holds another ledger than the notes now do, and GitHub refuses to replace it; the notes were written, but they are evidence anyone with write access can edit: record into a new release instead (--create-release, publish after tagguard)", in.releaseTag, AssetName)
	case rel.Sealed():
		res.Asset = "refused: the release is immutable and published, so GitHub takes no new asset; the ledger is in the notes only"
		res.LedgerDigest = ""
		return errkind.Blockedf("release %s is immutable and published: GitHub refuses new assets, so the ledger is in the notes only, which anyone with write access can edit; record while the release is a draft (--create-release, or create it as a draft) and publish it after tagguard has run", in.releaseTag)
	}
	// The new ledger is uploaded whole under a pending name first, then
	// the old asset deleted and the pending one renamed into place: a
	// failure at any step leaves the whole ledger in one asset or the
	// other, and a re-run finishes the job.
	fail := func(what string, err error) error {
		res.Asset = "failed: " + report.OneLine(err.Error())
		kind := errkind.Remote
		if errors.Is(err, githubapi.ErrSealed) {
			kind = errkind.Blocked // published as immutable while record ran
		}
		return errkind.New(kind, fmt.Errorf("release %s: %s: %w; re-run record", in.releaseTag, what, err))
	}
	if hasPending {
		if err := o.GitHub.DeleteAsset(ctx, in.owner, in.repo, pending.ID); err != nil {
			return fail("deleting the pending asset "+pendingName+" a cut-short run left", err)
		}
	}
	up, err := o.GitHub.UploadAsset(ctx, in.owner, in.repo, rel, pendingName, data)
	if err != nil {
		return fail("uploading the ledger as "+pendingName, err)
	}
	if has && old.ID != pending.ID {
		if err := o.GitHub.DeleteAsset(ctx, in.owner, in.repo, old.ID); err != nil {
			return fail("deleting the old "+AssetName+" (the new ledger waits as "+pendingName+")", err)
		}
	}
	if err := o.GitHub.RenameAsset(ctx, in.owner, in.repo, up.ID, AssetName); err != nil {
		return fail("renaming "+pendingName+" to "+AssetName+" (it holds the whole ledger)", err)
	}
	if has {
		res.Asset = "replaced " + AssetName + " with a merge that keeps every entry it held"
	} else {
		res.Asset = "uploaded " + AssetName
	}
	return nil
}
