package pin

import (
	"context"
	"errors"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/gate"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/refs"
)

// signatures is the signature gate on the deploy side: every digest pin
// writes (a compose row pinned or resolved, the one image per repository
// of a kustomize list, every image of a lock list) or, with --verify, every pin at the ledger's digest must
// verify in its repository. With --verify a pin that does not is its own
// row state (unverified, exit 1); otherwise nothing is written (exit 1).
// One whose attachments could not be read is unknown (exit 3).
func signatures(ctx context.Context, o Options, r *Report, l *ledger.Ledger) error {
	type pin struct {
		d   name.Digest
		row *Service // nil for a list's entry
	}
	var pins []pin
	switch {
	case o.Verify || r.Kind == Compose:
		for i := range r.Services {
			s := &r.Services[i]
			if s.State != OK && s.State != Pinned && s.State != Resolved {
				continue
			}
			if im, err := parseImage(s.Pinned); err == nil && im.digest != "" {
				pins = append(pins, pin{im.repo.Digest(im.digest), s})
			}
		}
	default:
		images := l.Images
		if r.Kind == Kustomize {
			images = r.written // one per repository: what the list names
		}
		for _, im := range images {
			if t, err := refs.Loose(im.Ref); err == nil {
				pins = append(pins, pin{d: t.Context().Digest(im.Digest)})
			}
		}
	}
	ds := make([]name.Digest, len(pins))
	for i, p := range pins {
		ds[i] = p.d
	}
	verdicts, err := o.Gate.CheckAll(ctx, ds)
	if err != nil {
		return err
	}
	var unknown []error
	for _, p := range pins {
		v := verdicts[oci.AttachedKey(p.d)]
		if p.row == nil {
			r.Signatures = append(r.Signatures, gate.Named{Ref: p.d.String(), Verdict: v})
		} else {
			p.row.Signature = &v
		}
		switch {
		case v.Passed():
		case v.State == gate.Unknown:
			unknown = append(unknown, errors.New(p.d.String()+": "+v.String()))
			if p.row != nil && o.Verify {
				p.row.State, p.row.Reason = Unknown, "signature gate: "+v.String()
			}
		case o.Verify:
			p.row.State, p.row.Reason = Unverified, "signature gate: "+v.String()
		default:
			r.unverified = append(r.unverified, p.d.String()+": "+v.String())
		}
	}
	if len(unknown) > 0 {
		if !o.Verify {
			r.Output, r.unknown = "", len(unknown)
		}
		return errkind.New(errkind.Remote, errors.Join(unknown...))
	}
	return nil
}
