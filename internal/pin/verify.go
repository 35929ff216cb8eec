package pin

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"
)

// warnFloating says, for a floating tag the ledger recorded (latest, 1),
// when it has moved since: pinning it pins the ledger's digest, not where
// the tag points now (restore and audit's rule decides whether that move
// was an advance).
func warnFloating(ctx context.Context, o Options, r *Report, byName map[string]recorded) {
	if o.Warn == nil || o.Registry == nil {
		return
	}
	for _, s := range r.Services {
		im, err := parseImage(s.Image)
		if err != nil || im.tag == nil {
			continue
		}
		repoTag, t := im.text, *im.tag
		rec, ok := byName[t.Name()]
		if !ok || (policy.Policy{}).Kind(t.TagStr()) != policy.Floating {
			continue
		}
		if d, err := o.Registry.Resolve(ctx, rec.tag); err == nil && d.Digest.String() != rec.image.Digest {
			o.Warn(fmt.Sprintf("tagguard pin: %s has moved since %s recorded it (now %s): the pin is the recorded %s", repoTag, r.Ledger, d.Digest, rec.image.Digest))
		}
	}
}

// verify checks every digest the compose files pin against the ledger and
// the registry: the compare-before-update gate.
func verify(ctx context.Context, o Options, r *Report, services []service, byName map[string]recorded) error {
	repos := map[string]bool{} // the repositories the ledger records
	for _, rec := range byName {
		repos[rec.tag.Context().Name()] = true
	}
	for _, s := range services {
		row := Service{Service: s.Name, File: s.File, Image: s.Image}
		im, err := parseImage(s.Image)
		switch {
		case err != nil:
			row.State, row.Reason = Differs, "not an image reference: "+report.OneLine(err.Error())
		case !repos[im.repo.Name()]:
			// An image of no release in this ledger (a database, a
			// sidecar): not the gate's to judge.
			row.State, row.Reason = Other, "the ledger records nothing of "+im.repo.String()
		case im.digest == "":
			row.State, row.Reason = NotPinned, "the ledger records "+im.repo.String()+", but the service follows a tag: compose would not notice the digest behind it change"
		case im.tag == nil:
			row.Pinned = s.Image
			if recordedAt(byName, im.repo, im.digest) {
				row.State, row.Recorded = OK, im.digest
			} else {
				row.State, row.Reason = Differs, "pins "+im.digest+", which the ledger does not record for "+im.repo.String()
			}
		default:
			row.Pinned = s.Image
			rec, ok := byName[im.tag.Name()]
			switch {
			case !ok:
				row.State, row.Reason = Differs, "pins "+im.digest+", but the ledger does not record "+im.text
			case rec.image.Digest != im.digest:
				row.State, row.Recorded = Differs, rec.image.Digest
				row.Reason = fmt.Sprintf("pins %s, the ledger records %s%s", im.digest, rec.image.Digest, newer(byName, im.repo, im.digest, rec.image.Digest))
			default:
				row.State, row.Recorded = OK, im.digest
			}
		}
		r.Services = append(r.Services, row)
	}
	var check []*Service
	for i := range r.Services {
		if r.Services[i].State == OK {
			check = append(check, &r.Services[i])
		}
	}
	errs := make([]error, len(check))
	fanout.Each(ctx, o.Jobs, len(check), func(i int) {
		s := check[i]
		im, _ := parseImage(s.Pinned)
		_, err := o.Registry.Resolve(ctx, im.repo.Digest(im.digest))
		switch {
		case errors.Is(err, registry.ErrNotFound):
			s.State, s.Reason = Pruned, im.digest+" is gone from "+im.repo.String()+": pruned; a host pulling it now fails"
		case err != nil:
			s.State, s.Reason, errs[i] = Unknown, "could not read the registry: "+report.OneLine(err.Error()), err
		}
	})
	if err := errors.Join(errs...); err != nil {
		return errkind.New(errkind.Remote, err)
	}
	return nil
}

// recordedAt reports whether the ledger records digest for any tag of repo.
func recordedAt(byName map[string]recorded, repo name.Repository, digest string) bool {
	for _, rec := range byName {
		if rec.tag.Context().Name() == repo.Name() && rec.image.Digest == digest {
			return true
		}
	}
	return false
}

// newer says which of two digests the ledger records under the higher
// version, when it records both under versions.
func newer(byName map[string]recorded, repo name.Repository, pinned, recordedDigest string) string {
	versionOf := func(d string) string {
		best := ""
		for _, rec := range byName {
			if rec.tag.Context().Name() == repo.Name() && rec.image.Digest == d {
				if v, ok := policy.ParseVersion(rec.tag.TagStr()); ok && (best == "" || v.GreaterThan(mustVersion(best))) {
					best = rec.tag.TagStr()
				}
			}
		}
		return best
	}
	pv, rv := versionOf(pinned), versionOf(recordedDigest)
	if pv == "" || rv == "" {
		return " (which is newer cannot be told: the ledger records no version at the pinned digest)"
	}
	if mustVersion(pv).GreaterThan(mustVersion(rv)) {
		return fmt.Sprintf(" (the pin is newer: %s, the ledger's tag is at %s)", pv, rv)
	}
	return fmt.Sprintf(" (the ledger's is newer: %s, the pin is %s)", rv, pv)
}
