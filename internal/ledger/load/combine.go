package load

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/refs"
)

// Combine reads every ledger of the sources (a release of several images
// takes a ledger per promote or record) into one, with one rule for a ref
// two of them record: the newest record wins (by the release's date, or a
// file's created); one whose own date cannot be believed never outranks
// another; two as new as each other that disagree are refused, since
// which is right cannot be told. The result names every source, and, per
// image, where it was recorded.
func Combine(ctx context.Context, s Sources) (Loaded, error) {
	type kept struct {
		im       ledger.Image
		date     time.Time
		suspect  bool
		from     string
		evidence Evidence
	}
	byRef := map[string]*kept{}
	var order []string
	var all []Loaded
	_, err := Each(ctx, s, func(got Loaded) error {
		all = append(all, got)
		for _, im := range got.Ledger.Images {
			key := im.Ref
			if t, err := refs.Loose(im.Ref); err == nil {
				key = t.Name()
			}
			next := &kept{im: im, date: got.Date, suspect: got.Suspect != "", from: got.From, evidence: got.Evidence}
			prev, ok := byRef[key]
			switch {
			case !ok:
				order = append(order, key)
				byRef[key] = next
			case prev.im.Digest == next.im.Digest:
				if next.date.After(prev.date) {
					byRef[key] = next // the newer record's fields
				}
			case Stronger(prev.evidence, next.evidence) || Stronger(next.evidence, prev.evidence):
				// Whoever can write the weaker one can write any date:
				// a disagreement across evidence levels is a person's to
				// settle, never a date's.
				return errkind.Blockedf("%s (%s) and %s (%s) record %s at different digests (%s, %s): a weaker record never outranks a stronger one, and which is right cannot be told here; give the right one alone", prev.from, prev.evidence, next.from, next.evidence, im.Ref, prev.im.Digest, next.im.Digest)
			case policy.DefaultKind(tagOf(im.Ref)) == policy.Immutable:
				return errkind.Blockedf("%s and %s record the version tag %s at different digests (%s, %s): a version is published once; give the ledger that is right", prev.from, next.from, im.Ref, prev.im.Digest, next.im.Digest)
			case next.suspect && !prev.suspect:
			case prev.suspect && !next.suspect, next.date.After(prev.date):
				byRef[key] = next
			case next.date.Equal(prev.date):
				return errkind.BadInputf("%s and %s record %s at different digests (%s, %s) and neither is newer: give the one that is right", prev.from, next.from, im.Ref, prev.im.Digest, next.im.Digest)
			}
		}
		return nil
	})
	if err != nil {
		return Loaded{}, err
	}
	if len(all) == 1 {
		return all[0], nil
	}
	out := Loaded{Ledger: &ledger.Ledger{Schema: ledger.Schema}}
	var froms []string
	for i, got := range all {
		froms = append(froms, got.From)
		if i == 0 || Stronger(out.Evidence, got.Evidence) {
			out.Evidence = got.Evidence // the weakest evidence read
		}
		if got.Date.After(out.Date) {
			out.Date, out.Ledger.Created, out.Ledger.Source = got.Date, got.Ledger.Created, got.Ledger.Source
		}
		for _, t := range got.Tampered {
			out.Tampered = append(out.Tampered, got.From+": "+t)
		}
	}
	for _, key := range order {
		k := byRef[key]
		im := k.im
		if im.RecordedIn == "" {
			im.RecordedIn = k.from
		}
		out.Ledger.Images = append(out.Ledger.Images, im)
	}
	slices.SortFunc(out.Ledger.Images, func(a, b ledger.Image) int { return strings.Compare(a.Ref, b.Ref) })
	out.From = fmt.Sprintf("%d ledgers (%s)", len(all), strings.Join(froms, ", "))
	return out, nil
}

// tagOf is the tag of a reference as a ledger writes it (REPO:TAG).
func tagOf(ref string) string {
	return ref[strings.LastIndex(ref, ":")+1:]
}
