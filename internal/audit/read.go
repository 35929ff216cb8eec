package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/floating"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/progress"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"
)

// readTags HEADs every recorded ref once. A floating tag away from its
// record that now points at a newer release on its line (recorded there by
// a ledger) has advanced, as that release meant it to: ok, and no drift.
func readTags(ctx context.Context, o Options, recs []*record, refs []Ref, judge *floating.Judge, pf *prefetch) {
	progress.Expect(ctx, "reading recorded refs", len(recs))
	notStarted := fanout.Each(ctx, o.Jobs, len(recs), func(i int) {
		defer progress.Done(ctx, 1)
		ref := &refs[i]
		d, err := pf.get(ctx, recs[i].tag)
		switch {
		case errors.Is(err, registry.ErrNotFound):
			ref.State, ref.Reason = Missing, "the tag is gone"
		case err != nil:
			ref.State, ref.Reason, ref.err = Unknown, "could not read the tag: "+report.OneLine(err.Error()), err
		case d.Digest.String() == recs[i].image.Digest:
			ref.State, ref.Now = OK, d.Digest.String()
		default:
			ref.State, ref.Now = Drifted, d.Digest.String()
			ref.Reason = fmt.Sprintf("now at %s, recorded at %s", d.Digest, recs[i].image.Digest)
			if !floating.IsFloating(recs[i].tag) {
				break
			}
			switch v, err := judge.Advanced(ctx, recs[i].tag, recs[i].since, ref.Now); {
			case err != nil:
				ref.State, ref.Reason, ref.err = Unknown, "moved, and whether it advanced along its line could not be told: "+report.OneLine(err.Error()), err
			case v.Version != "":
				ref.State, ref.Reason = OK, fmt.Sprintf("advanced to %s (recorded at %s): a newer release moved it, as meant", v.Version, recs[i].image.Digest)
			case v.Held:
				ref.State, ref.Reason = Unconfirmed, v.Why
			case v.Unproven != "":
				ref.Reason += "; " + v.Unproven
			}
		}
		if recs[i].inconsistent != "" && ref.State != Unknown {
			ref.State, ref.Reason = Inconsistent, recs[i].inconsistent
		}
	})
	for _, i := range notStarted {
		refs[i].State, refs[i].Reason, refs[i].err = Unknown, "not read: "+ctx.Err().Error(), ctx.Err()
	}
}

// checkRestorable asks, once per recorded digest of a ref that is not ok,
// whether restore could put it back: the digest (and an index's children)
// must still be in the repository.
func checkRestorable(ctx context.Context, o Options, recs []*record, refs []Ref) {
	type target struct {
		ref       name.Digest
		mediaType string
		verdict   *bool
		reason    string
		err       error
	}
	byKey := map[string]*target{}
	var targets []*target
	for i, rec := range recs {
		if refs[i].State != Drifted && refs[i].State != Missing {
			continue
		}
		d := rec.tag.Context().Digest(rec.image.Digest)
		if byKey[d.Name()] == nil {
			t := &target{ref: d, mediaType: rec.image.MediaType}
			byKey[d.Name()], targets = t, append(targets, t)
		}
	}
	notStarted := fanout.Each(ctx, o.Jobs, len(targets), func(i int) {
		t := targets[i]
		yes, no := true, false
		gone, err := missing(ctx, o.Registry, t.ref, t.mediaType)
		switch {
		case err != nil:
			t.reason, t.err = "could not tell whether it can be restored: "+report.OneLine(err.Error()), err
		case gone != "":
			t.verdict, t.reason = &no, gone+" (pruned: rebuild from source)"
		default:
			t.verdict = &yes
		}
	})
	for _, i := range notStarted {
		targets[i].reason, targets[i].err = "not read: "+ctx.Err().Error(), ctx.Err()
	}
	for i, rec := range recs {
		if t := byKey[rec.tag.Context().Digest(rec.image.Digest).Name()]; t != nil && (refs[i].State == Drifted || refs[i].State == Missing) {
			refs[i].Restorable, refs[i].err = t.verdict, t.err
			if t.reason != "" {
				refs[i].Reason += "; " + t.reason
			}
		}
	}
}

// missing says what of d is gone: the digest itself, or for an index the
// manifests it names. An image is one HEAD; an index one GET (hashed) and
// a HEAD per child.
func missing(ctx context.Context, reg Registry, d name.Digest, mediaType string) (string, error) {
	if mediaType == "" {
		// An older ledger without a media type: HEAD tells.
		desc, err := reg.Resolve(ctx, d)
		if errors.Is(err, registry.ErrNotFound) {
			return fmt.Sprintf("%s is not in %s", d.DigestStr(), d.Context()), nil
		}
		if err != nil || !desc.MediaType.IsIndex() {
			return "", err
		}
		mediaType = string(desc.MediaType)
	}
	if !strings.Contains(mediaType, "index") && !strings.Contains(mediaType, "manifest.list") {
		_, err := reg.Resolve(ctx, d)
		if errors.Is(err, registry.ErrNotFound) {
			return fmt.Sprintf("%s is not in %s", d.DigestStr(), d.Context()), nil
		}
		return "", err
	}
	m, err := reg.Manifest(ctx, d)
	if errors.Is(err, registry.ErrNotFound) {
		return fmt.Sprintf("%s is not in %s", d.DigestStr(), d.Context()), nil
	}
	if err != nil {
		return "", err
	}
	return registry.MissingChildren(ctx, reg, d, m)
}

// checkAttached reads, once per recorded digest a ledger recorded
// attachments for (the image, and each platform of an index: a platform
// image whose signature was deleted fails cosign verify as surely as the
// index), what is attached now, and marks a ref whose recorded
// signatures, attestations or SBOMs are gone: still restorable, but
// unsigned since it was recorded. A ledger without the field (older, or
// --referrers=false) costs no request.
func checkAttached(ctx context.Context, o Options, recs []*record, refs []Ref) {
	seen := map[string]bool{}
	var ds []name.Digest
	want := func(rec *record, digest string, a *ledger.Attached) {
		if !needsRead(a) {
			return
		}
		if d := rec.tag.Context().Digest(digest); !seen[d.Name()] {
			seen[d.Name()] = true
			ds = append(ds, d)
		}
	}
	for i, rec := range recs {
		if refs[i].State == Unknown {
			continue
		}
		want(rec, rec.image.Digest, rec.image.Attached)
		for _, p := range rec.image.Platforms {
			want(rec, p.Digest, p.Attached)
		}
	}
	if len(ds) == 0 {
		return
	}
	now, err := o.Registry.AttachmentsOf(ctx, ds, nil)
	for i, rec := range recs {
		ref := &refs[i]
		type part struct {
			what, digest string
			was          *ledger.Attached
		}
		parts := []part{{"its", rec.image.Digest, rec.image.Attached}}
		for _, p := range rec.image.Platforms {
			parts = append(parts, part{"its " + p.Platform + " image's", p.Digest, p.Attached})
		}
		// Every part is judged before the ref is: a loss proven on one
		// platform is a problem (exit 1) whatever another could not be
		// read, and a part whose every recorded kind was read is
		// conclusive even when something beside them failed.
		var losses, unread []string
		var unreadErr error
		for n, pt := range parts {
			if !seen[rec.tag.Context().Digest(pt.digest).Name()] || !needsRead(pt.was) {
				continue
			}
			a, ok := now[oci.AttachedKey(rec.tag.Context().Digest(pt.digest))]
			if !ok {
				unread, unreadErr = append(unread, fmt.Sprintf("%s attachments (%s): %s", pt.what, pt.digest, report.OneLine(fmt.Sprint(err)))), err
				continue
			}
			was := oci.FromRecord(pt.was)
			if slices.Contains(was.Attestations, oci.Inline) {
				// An index's inline BuildKit attestation is in the index's
				// own bytes, which a digest fixes: it is there while the
				// index is.
				a.Attestations = append(slices.Clone(a.Attestations), oci.Inline)
			}
			if n == 0 {
				ref.Attached = a.Record()
			}
			lost := oci.Lost(was, a)
			switch {
			case lost == "":
			case a.Err != nil:
				// Part of what is attached could not be read (a fallback
				// tag answering 500 beside a legacy .att that answered): a
				// kind missing from what was read may be in what was not.
				// Unknown, never unsigned.
				unread, unreadErr = append(unread, fmt.Sprintf("%s %s (recorded: %s) may be in what could not be read: %s", pt.what, lost, was, report.OneLine(a.Err.Error()))), a.Err
			default:
				losses = append(losses, fmt.Sprintf("%s %s (recorded: %s) are gone from %s: it is unsigned since it was recorded", pt.what, lost, was, pt.digest))
			}
		}
		var why []string
		switch {
		case len(losses) > 0:
			why = append(losses, unread...)
			if ref.State == OK {
				ref.State, ref.Reason = Unsigned, strings.Join(why, "; ")
				continue
			}
		case len(unread) > 0:
			for _, u := range unread {
				why = append(why, "could not read what is attached: "+u)
			}
			if ref.State == OK {
				ref.State, ref.err, ref.Reason = Unknown, unreadErr, strings.Join(why, "; ")
				continue
			}
		}
		// A moved or pruned tag, or one already unknown, stays what it
		// is: that much was read. The finding is added to its reason.
		for _, w := range why {
			ref.Reason = strings.TrimPrefix(ref.Reason+"; "+w, "; ")
		}
	}
}

// needsRead reports whether a recorded Attached needs a read to be
// checked: something recorded beyond inline BuildKit attestations, which
// the index's own bytes hold.
func needsRead(a *ledger.Attached) bool {
	if a == nil {
		return false
	}
	x := oci.FromRecord(a)
	x.Attestations = slices.DeleteFunc(slices.Clone(x.Attestations), func(w string) bool { return w == oci.Inline })
	return !x.Empty()
}
