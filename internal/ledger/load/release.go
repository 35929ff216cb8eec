package load

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/report"
)

// ReadRelease reads a release's ledger: its asset when it has one (the
// evidence nobody can edit once an immutable release is published),
// compared with its notes' section, which anyone with write access can;
// else the notes alone. found is false when the release holds neither.
// A download that fails is a remote failure; an asset or a section that
// is not a ledger is bad evidence (bad input).
func ReadRelease(ctx context.Context, gh Releases, owner, repo string, rel *githubapi.Release) (Loaded, bool, error) {
	got := Loaded{From: "release " + rel.TagName, Date: rel.Date(), Evidence: NotesOnly}
	notes, inNotes, notesErr := ledger.Extract(rel.Body)
	a, hasAsset := rel.Asset(ledger.AssetName)
	if !hasAsset {
		// A replacement cut short after the old asset was deleted: the
		// pending one holds the whole ledger.
		a, hasAsset = rel.Asset(ledger.PendingAssetName)
	}
	if !hasAsset {
		if errors.Is(notesErr, ledger.ErrInAsset) {
			return got, false, errkind.BadInputf("its notes say the ledger is the asset %s alone, but the release has no such asset: someone deleted it (re-record the release)", ledger.AssetName)
		}
		got.Ledger = notes
		return got, inNotes && notesErr == nil, errkind.New(errkind.BadInput, notesErr)
	}
	if a.Size > ledger.MaxSize {
		return got, false, errkind.BadInputf("its asset %s is %d bytes, over the %d MiB a ledger may be: refused unread", ledger.AssetName, a.Size, ledger.MaxSize>>20)
	}
	b, err := gh.DownloadAsset(ctx, owner, repo, a.ID, ledger.MaxSize)
	if err != nil {
		return got, false, errkind.New(errkind.Remote, fmt.Errorf("reading the ledger asset of release %s: %w", rel.TagName, err))
	}
	asset, err := ledger.Parse(b)
	if err != nil {
		return got, false, errkind.BadInputf("its asset %s is not a ledger: %v", ledger.AssetName, err)
	}
	got.Ledger, got.Evidence = asset, AssetOnly
	if rel.Sealed() {
		got.Evidence = Sealed
	}
	switch {
	case errors.Is(notesErr, ledger.ErrInAsset):
		// Too large for the notes: the asset alone is the record.
	case notesErr != nil:
		got.Tampered = []string{"the notes' ledger section cannot be read (" + notesErr.Error() + ")"}
	case !inNotes:
		got.Tampered = []string{"the notes hold no ledger section, though the asset " + ledger.AssetName + " does"}
	case inNotes:
		got.Tampered = Differences(asset, notes)
	}
	return got, true, nil
}

// rank orders evidence: a sealed asset above any other asset, an asset
// above notes alone; a ledger file (the operator named it) as an asset.
func rank(e Evidence) int {
	switch e {
	case Sealed:
		return 3
	case AssetOnly, File:
		return 2
	case NotesOnly:
		return 1
	}
	return 0
}

// Stronger reports whether evidence a is stronger than b: where two
// records of one ref disagree, the weaker never wins by being newer.
func Stronger(a, b Evidence) bool { return rank(a) > rank(b) }

// Describe is the evidence level in a report's words, after the source
// it qualifies: " (sealed: an immutable release's asset)"; "" for a file
// or none.
func Describe(e Evidence) string {
	switch e {
	case Sealed:
		return " (sealed: an immutable release's asset, which nobody can replace)"
	case AssetOnly:
		return " (its asset " + ledger.AssetName + "; the release is not immutable, so anyone with write access could replace it)"
	case NotesOnly:
		return " (notes only: editable by anyone with write access; see Sealed ledgers in docs/guide.md)"
	}
	return ""
}

// Shown is how a step shows the ledger a command followed (restore, pin):
// a note naming it and its evidence, and an error annotation for each way
// its notes and its asset disagree. The caller adds its title and rows.
func Shown(from, evidence string, tampered []string) report.Shown {
	s := report.Shown{Notes: []string{"From " + from + Describe(Evidence(evidence)) + "."}}
	for _, t := range tampered {
		s.Annotations = append(s.Annotations, report.Annotation{Level: report.Bad, Title: "tagguard: " + from + " tampered", Message: t})
	}
	return s
}

// Differences says every way the notes' ledger differs from the asset's
// in what a restore or an audit acts on: a ref recorded at another digest,
// or recorded on one side only. Empty when they agree.
func Differences(asset, notes *ledger.Ledger) []string {
	at := map[string]string{}
	for _, im := range asset.Images {
		at[im.Ref] = im.Digest
	}
	nt := map[string]string{}
	for _, im := range notes.Images {
		nt[im.Ref] = im.Digest
	}
	var out []string
	for ref, d := range at {
		switch n, ok := nt[ref]; {
		case !ok:
			out = append(out, fmt.Sprintf("%s: the asset records %s, the notes do not record it", ref, d))
		case n != d:
			out = append(out, fmt.Sprintf("%s: the asset records %s, the notes %s", ref, d, n))
		}
	}
	for ref, n := range nt {
		if _, ok := at[ref]; !ok {
			out = append(out, fmt.Sprintf("%s: the notes record %s, the asset does not record it", ref, n))
		}
	}
	slices.Sort(out)
	return out
}
