package promote

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/record"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"
	"github.com/tagguard/tagguard/internal/tagwrite"
)

// Apply copies what each target repository lacks, puts a built index by
// digest, writes each tag (an immutable one HEADed again right before its
// PUT), reads every tag back and records what it read. Nothing already
// right is written.
func (p *Plan) Apply(ctx context.Context) (*Report, error) {
	r := p.Report()
	r.PlanOnly = false
	if report.Blocks(r) {
		return r, nil // refused or blocked: nothing is written
	}
	if err := p.place(ctx, r); err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			// SIGINT or SIGTERM mid-copy: no tag was touched, so this is
			// an interruption (130) like one while planning, not a
			// failure; an upload under way was closed on the target.
			const why = "interrupted while copying: none of --images was written (what was copied is untagged, and an upload under way was cancelled)"
			r.stop(why)
			r.Summary = "INTERRUPTED: " + strings.TrimPrefix(why, "interrupted ")
			return r, errkind.New(errkind.Interrupted, errors.New(why))
		}
		r.stop("the digests could not be placed in every target repository: none of --images was written (what was copied or carried before the failure is listed)")
		return r, err
	}
	p.writeTags(ctx, r)
	r.finish()
	// What was written and read back is recorded even when another tag
	// failed or lost a race: the record is what is true now.
	writeErr, recErr := r.err(), p.record(ctx, r)
	switch {
	case writeErr != nil && recErr != nil:
		return r, fmt.Errorf("%w; recording the tags that were written failed too: %v", writeErr, recErr)
	case writeErr != nil:
		return r, writeErr
	}
	return r, recErr
}

// place makes the published manifest and everything it names present, by
// digest, in every target repository: a repository that already has them
// receives nothing; within one registry blobs are mounted, across
// registries each crosses once (later repositories of a registry copy from
// its first).
func (p *Plan) place(ctx context.Context, r *Report) error {
	first := map[string]name.Repository{} // registry → first target repository placed
	placed := map[string]bool{}
	write := map[string]bool{} // repositories with a tag to write
	for _, t := range r.Targets {
		if t.Action != Unchanged {
			write[t.tag.Context().String()] = true
		}
	}
	for _, t := range r.Targets {
		repo := t.tag.Context()
		if placed[repo.String()] {
			continue
		}
		placed[repo.String()] = true
		// A repository whose tags are all right already still gets what
		// is attached carried: a re-run repairs a signature the target
		// lost, or one the source gained, instead of recording the target
		// as it is (CopyAttached sends nothing already there).
		carryOnly := !write[repo.String()]
		if carryOnly && !p.o.Referrers {
			continue
		}
		// The sources into one repository are independent: copied at once,
		// within --jobs (the registry client bounds the requests).
		// Each source's attachments follow it as soon as it is there.
		copies := make([][]string, len(p.sources))
		errs := make([]error, len(p.sources))
		fanout.Each(ctx, p.o.Jobs, len(p.sources), func(i int) {
			s := p.sources[i]
			src := s.ref
			if f, ok := first[repo.RegistryStr()]; ok && f.RegistryStr() != src.Context().RegistryStr() {
				src = f.Digest(s.ref.DigestStr())
			}
			if !carryOnly && src.Context().String() != repo.String() {
				stats, err := p.o.Registry.Copy(ctx, src, repo)
				if err != nil {
					errs[i] = errkind.New(errkind.Remote, fmt.Errorf("copying %s to %s: %w", src, repo, err))
					return
				}
				copies[i] = append(copies[i], fmt.Sprintf("%s → %s: %s", src, repo, stats))
			}
			carried, err := p.carry(ctx, i, repo)
			copies[i] = append(copies[i], carried...)
			errs[i] = err
		})
		for _, c := range copies {
			r.Copies = append(r.Copies, c...)
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
		if carryOnly {
			continue
		}
		if p.built {
			if err := p.o.Registry.PutManifest(ctx, repo, p.published); err != nil {
				return errkind.New(errkind.Remote, fmt.Errorf("putting index %s into %s: %w", p.published.Digest, repo, err))
			}
		}
		if _, ok := first[repo.RegistryStr()]; !ok {
			first[repo.RegistryStr()] = repo
		}
	}
	return nil
}

// carry copies what is attached to a source (and to each image an index
// source names) along with it to another repository: signatures,
// attestations and SBOMs by digest, cosign's legacy tags, the referrers
// fallback tag where the target has no referrers API. Within the source's
// own repository there is nothing to carry.
func (p *Plan) carry(ctx context.Context, i int, repo name.Repository) (lines []string, err error) {
	if !p.o.Referrers || p.sources[i].ref.Context().String() == repo.String() || i >= len(p.digestsOf) {
		return nil, nil
	}
	for _, d := range p.digestsOf[i] {
		a := p.attached[p.key(i, d)]
		if len(a.Manifests) == 0 {
			continue
		}
		n, gone, err := p.o.Registry.CopyAttached(ctx, a, repo)
		if err != nil {
			// What was written before the failure (signature tags, the
			// subject's fallback tag) is there now: said, not dropped.
			lines = append(lines, fmt.Sprintf("attached to %s → %s: %d written before the failure (%s)", d, repo, n, a))
			return lines, errkind.New(errkind.Remote, fmt.Errorf("carrying what is attached to %s to %s: %w", d, repo, err))
		}
		line := fmt.Sprintf("attached to %s → %s: %d written (%s)", d, repo, n, a)
		if len(gone) > 0 {
			line += fmt.Sprintf("; %d deleted from the source since the plan read it, not carried: %s", len(gone), strings.Join(gone, ", "))
		}
		lines = append(lines, line)
	}
	return lines, nil
}

// writeTags writes every target that is not already right.
func (p *Plan) writeTags(ctx context.Context, r *Report) {
	var todo []*Target
	var ws []tagwrite.Write
	want := p.published.Digest.String()
	for i := range r.Targets {
		t := &r.Targets[i]
		if t.Action == Unchanged {
			continue
		}
		w := tagwrite.Write{Tag: t.tag, Manifest: p.published, From: t.From}
		if immutable(*t) {
			tag := t.tag
			w.Recheck = func(ctx context.Context) (string, string, error) {
				d, err := p.o.Registry.Resolve(ctx, tag)
				switch {
				case errors.Is(err, registry.ErrNotFound):
					return "", "", nil
				case err != nil:
					return "", "", err
				}
				if d.Digest.String() == want {
					return "already at the digest being published (another run wrote it since the plan)", want, nil
				}
				return fmt.Sprintf("lost a race: %s appeared at %s after the plan; nothing written to it", tag.TagStr(), d.Digest), d.Digest.String(), nil
			}
		}
		todo, ws = append(todo, t), append(ws, w)
	}
	for i, out := range tagwrite.Apply(ctx, p.o.Registry, tagwrite.Options{Jobs: p.o.Jobs, Grace: p.o.WriteGrace}, ws) {
		t := todo[i]
		t.Reason, t.Now, t.touched = out.Reason, out.Now, out.Touched
		switch {
		case out.State == tagwrite.Done:
			t.State = Written
		case out.Raced && out.Now == want:
			t.State = Unchanged
		case out.Raced:
			t.State = LostRace
		case out.Replaced:
			t.State = Replaced
		case out.State == tagwrite.Skipped:
			t.State = Skipped
		default:
			t.State = Failed
		}
	}
	for i := range r.Targets {
		if t := &r.Targets[i]; t.State == Unchanged && t.Now == "" {
			t.Now = want
		}
	}
}

// record keeps what was read back as record does: outputs, ledger file and
// release notes.
func (p *Plan) record(ctx context.Context, r *Report) error {
	var images []string
	var entries []record.Entry
	for _, t := range r.Targets {
		if t.Now != r.Published.Digest {
			continue
		}
		images = append(images, t.Ref)
		entries = append(entries, record.WithInline(record.Entry{Ref: t.Ref, Digest: t.Now, MediaType: r.Published.MediaType, Platforms: r.Published.Platforms, Verdict: record.Recorded}, p.published.Raw))
	}
	if len(entries) == 0 {
		return nil // nothing reads back at the digest: nothing to record
	}
	rp, err := record.PlanRead(ctx, p.o.recordOptions(images), entries)
	if err == nil && rp.Report().Refused() == "" {
		var rec *record.Report
		rec, err = rp.Apply(ctx)
		r.Record = rec
	} else if rp != nil {
		r.Record = rp.Report()
	}
	if r.Record != nil {
		r.Outputs = r.Record.Outputs
		if why := r.Record.Refused(); why != "" && err == nil {
			// Record refused (a sealed release): for promote, whose tags
			// are written, that is a record that failed.
			err = errors.New(why)
		}
	}
	if err != nil {
		r.Summary += "; the tags are written, but recording them failed"
		return errkind.New(errkind.Partial, fmt.Errorf("every tag is written and verified, but recording them failed: %w; re-run promote (it writes nothing now and records again)", err))
	}
	return nil
}
