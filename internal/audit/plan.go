package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tagguard/tagguard/internal/progress"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/floating"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/ledgers"
	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"
)

// record is the newest ledger entry of one ref.
type record struct {
	tag          name.Tag
	image        ledger.Image
	created      time.Time       // the ledger's own date, as it says
	date         time.Time       // what orders records: see ledgers.Loaded.Date
	suspect      bool            // the ledger's own date cannot be believed
	since        *semver.Version // a floating tag's version as recorded, when the ledger says
	from         string
	evidence     ledgers.Evidence
	inconsistent string // why this ledger's mirrors, or two records as new as each other, disagree
}

// Plan is an audit done: audit only reads, so its plan is its report and
// Apply changes nothing.
type Plan = report.ReadOnly[*Report]

// NewPlan audits: it loads every ledger, keeps the newest record of each
// ref, reads each tag (one HEAD), and for each ref that is not where it
// should be, whether its recorded digest (and an index's children) still
// exists. Nothing is written. The error is bad input (2, no plan), or a
// registry or GitHub failure (3) with the report of what could be read.
func NewPlan(ctx context.Context, o Options) (*Plan, error) { return report.Read(audit(ctx, o)) }

func audit(ctx context.Context, o Options) (*Report, error) {
	if err := Validate(o); err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	records := map[string]*record{}
	recorded := map[string]bool{} // ref name + " " + digest, every record read: evidence of a release
	ledgersRead := 0
	var flags []ledgers.Problem
	src := o.sources()
	src.Now = o.Now
	// Registry reads start with the first ledger, while later release pages
	// are still read: where a tag points now does not depend on which
	// record of it wins.
	pf := newPrefetch(ctx, o.Registry, o.Jobs)
	defer pf.wait()
	evidence := map[string]int{}
	var tampered []Tampered
	problems, err := ledgers.Each(ctx, src, func(got ledgers.Loaded) error {
		ledgersRead++
		evidence[string(got.Evidence)]++
		if len(got.Tampered) > 0 {
			// The asset's record is audited (got.Ledger is the asset's);
			// the notes' other record is reported, never followed.
			tampered = append(tampered, Tampered{From: got.From, Evidence: string(got.Evidence), Differences: got.Tampered})
		}
		if got.Suspect != "" {
			flags = append(flags, ledgers.Problem{From: got.From, Reason: got.Suspect + ": its records never outrank another"})
		}
		keep(o, records, got)
		for _, im := range got.Ledger.Images {
			if t, err := o.Registry.ParseTag(im.Ref); err == nil && (len(o.Tags) == 0 || policy.MatchAny(o.Tags, t.TagStr())) {
				pf.start(t)
			}
		}
		for _, im := range got.Ledger.Images {
			if t, err := o.Registry.ParseTag(im.Ref); err == nil {
				recorded[t.Name()+" "+im.Digest] = true
			}
		}
		return nil
	})
	r := &Report{Command: "audit", Ledgers: ledgersRead, Problems: problems, Flags: flags, Tampered: tampered, Evidence: evidence}
	if r.Tampered == nil {
		r.Tampered = []Tampered{}
	}
	if err != nil {
		if errkind.Of(err) == errkind.BadInput {
			return nil, err
		}
		r.loadErr = err
		r.finish(o.Now())
		return r, err
	}
	keys := make([]string, 0, len(records))
	for k := range records {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	r.Refs = make([]Ref, len(keys))
	recs := make([]*record, len(keys))
	for i, k := range keys {
		recs[i] = records[k]
		rec := recs[i]
		r.Refs[i] = Ref{Ref: rec.image.Ref, Recorded: rec.image.Digest, From: rec.from, Created: rec.created}
	}
	ev := floating.Evidence{Recorded: func(ref, digest string) bool { return recorded[ref+" "+digest] }}
	if o.GitHub != nil && o.Event.Repository != "" && !o.FromReleases {
		// Every release's ledger is read already when auditing them all.
		ev.Release = floating.ReleaseLedgers(o.GitHub, o.Event.Repository)
	}
	readTags(ctx, o, recs, r.Refs, floating.New(o.Registry, ev), pf)
	checkRestorable(ctx, o, recs, r.Refs)
	if o.Referrers {
		checkAttached(ctx, o, recs, r.Refs)
	}
	r.finish(o.Now())
	if o.DriftFile != "" {
		// A file of the operator's, not a write to a registry: the next
		// step's input (restore --from-ledger), named in the report.
		if err := ledger.WriteFile(ctx, o.DriftFile, []byte(r.Outputs.Drift+"\n")); err != nil {
			return r, errkind.BadInputf("writing --drift-file %s: %v", o.DriftFile, err)
		}
		r.DriftFile = o.DriftFile
	}
	return r, r.err()
}

// keep folds one ledger into the records: the newest record of a ref wins
// (a floating tag recorded by every release, a re-record after a restore);
// older records are history, not drift. Newest is by Loaded.Date, so a
// release's notes cannot date themselves forward; a suspect record never
// outranks another, and two records as new as each other that disagree
// are inconsistent. Within one ledger, a tag recorded in several
// registries (a mirror) at different digests is inconsistent.
func keep(o Options, records map[string]*record, got ledgers.Loaded) {
	l := got.Ledger
	mirrors := map[string]map[string][]string{} // repository path:tag → digest → hosts
	tags := map[string]name.Tag{}
	for _, im := range l.Images {
		t, err := o.Registry.ParseTag(im.Ref)
		if err != nil {
			continue // a ledger validates its refs; one the client refuses is not audited
		}
		tags[im.Ref] = t
		k := t.RepositoryStr() + ":" + t.TagStr()
		if mirrors[k] == nil {
			mirrors[k] = map[string][]string{}
		}
		mirrors[k][im.Digest] = append(mirrors[k][im.Digest], t.RegistryStr())
	}
	for _, im := range l.Images {
		t, ok := tags[im.Ref]
		if !ok || (len(o.Tags) > 0 && !policy.MatchAny(o.Tags, t.TagStr())) {
			continue
		}
		key := t.Name()
		suspect := got.Suspect != ""
		if prev, ok := records[key]; ok {
			stronger, weaker := ledgers.Stronger(got.Evidence, prev.evidence), ledgers.Stronger(prev.evidence, got.Evidence)
			differ := prev.image.Digest != im.Digest
			switch {
			case differ && (stronger || weaker):
				// Anyone with write access can write a newer release's
				// notes: a weaker record never outranks a stronger one,
				// whatever its date, and the two are reported.
				why := fmt.Sprintf("%s (%s) records it at %s, %s (%s) at %s: a record never outranks one of stronger evidence; find out who wrote the weaker one",
					prev.from, prev.evidence, prev.image.Digest, got.From, got.Evidence, im.Digest)
				if !stronger {
					if prev.inconsistent == "" {
						prev.inconsistent = why
					}
					continue
				}
			case differ && policy.DefaultKind(t.TagStr()) == policy.Immutable && !suspect && !prev.suspect && prev.inconsistent == "":
				// A version tag recorded at two digests by two releases was
				// published twice: no date makes one of them right.
				prev.inconsistent = fmt.Sprintf("%s and %s record the version tag at different digests (%s, %s): a version is published once; tell which is right, and re-record it",
					prev.from, got.From, prev.image.Digest, im.Digest)
				continue
			}
			switch {
			case stronger:
			case weaker:
				continue
			case suspect && !prev.suspect:
				continue
			case !suspect && prev.suspect:
			case got.Date.Before(prev.date):
				continue
			case got.Date.Equal(prev.date):
				if prev.image.Digest != im.Digest && prev.inconsistent == "" {
					prev.inconsistent = fmt.Sprintf("%s and %s record it at different digests (%s, %s) and neither is newer (%s): tell which is right, and re-record it",
						prev.from, got.From, prev.image.Digest, im.Digest, got.Date.UTC().Format(time.RFC3339))
				}
				continue
			}
		}
		rec := &record{tag: t, image: im, created: l.Created, date: got.Date, suspect: suspect, from: got.From, evidence: got.Evidence,
			since: floating.RecordedVersion(l.Images, t, im.Digest)}
		if prev, ok := records[key]; ok && prev.image.Digest != im.Digest && ledgers.Stronger(got.Evidence, prev.evidence) {
			rec.inconsistent = fmt.Sprintf("%s (%s) records it at %s, %s (%s) at %s: a record never outranks one of stronger evidence; find out who wrote the weaker one",
				got.From, got.Evidence, im.Digest, prev.from, prev.evidence, prev.image.Digest)
		}
		if ds := mirrors[t.RepositoryStr()+":"+t.TagStr()]; len(ds) > 1 {
			var parts []string
			for d, hosts := range ds {
				parts = append(parts, fmt.Sprintf("%s in %s", d, strings.Join(hosts, ", ")))
			}
			slices.Sort(parts)
			rec.inconsistent = fmt.Sprintf("%s records %s:%s at different digests in different registries: %s", got.From, t.RepositoryStr(), t.TagStr(), strings.Join(parts, "; "))
		}
		records[key] = rec
	}
}

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
			switch v, unproven, err := judge.Advanced(ctx, recs[i].tag, recs[i].since, ref.Now); {
			case err != nil:
				ref.State, ref.Reason, ref.err = Unknown, "moved, and whether it advanced along its line could not be told: "+report.OneLine(err.Error()), err
			case v != "":
				ref.State, ref.Reason = OK, fmt.Sprintf("advanced to %s (recorded at %s): a newer release moved it, as meant", v, recs[i].image.Digest)
			case unproven != "":
				ref.Reason += "; " + unproven
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
// attachments for, what is attached now, and marks a ref whose recorded
// signatures, attestations or SBOMs are gone: still restorable, but
// unsigned since it was recorded. A ledger without the field (older, or
// --referrers=false) costs no request.
func checkAttached(ctx context.Context, o Options, recs []*record, refs []Ref) {
	seen := map[string]bool{}
	var ds []name.Digest
	for i, rec := range recs {
		if rec.image.Attached == nil || registry.FromRecord(rec.image.Attached).Empty() || refs[i].State == Unknown {
			continue
		}
		d := rec.tag.Context().Digest(rec.image.Digest)
		if !seen[d.Name()] {
			seen[d.Name()] = true
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		return
	}
	now, err := o.Registry.AttachmentsOf(ctx, ds, nil)
	for i, rec := range recs {
		if !seen[rec.tag.Context().Digest(rec.image.Digest).Name()] {
			continue
		}
		ref := &refs[i]
		a, ok := now[rec.image.Digest]
		if !ok || err != nil && a.Empty() {
			ref.State, ref.err = Unknown, err
			ref.Reason = strings.TrimPrefix(ref.Reason+"; could not read what is attached: "+report.OneLine(fmt.Sprint(err)), "; ")
			continue
		}
		ref.Attached = a.Record()
		if lost := registry.Lost(registry.FromRecord(rec.image.Attached), a); lost != "" && (ref.State == OK || ref.State == Drifted || ref.State == Missing) {
			why := fmt.Sprintf("its %s (recorded: %s) are gone from %s: it is unsigned since it was recorded", lost, registry.FromRecord(rec.image.Attached), rec.image.Digest)
			if ref.State == OK {
				ref.State, ref.Reason = Unsigned, why
			} else {
				ref.Reason += "; " + why
			}
		}
	}
}

// prefetch reads where recorded tags point now while the ledgers are still
// being read (release pages stream): one HEAD per distinct tag, at most
// jobs at a time, each started as soon as a ledger names the tag. A read
// that failed is kept: the ref is then unknown, not read twice.
type prefetch struct {
	ctx     context.Context
	reg     Registry
	sem     chan struct{}
	wg      sync.WaitGroup
	started map[string]bool // start's own: the ledger walk calls it from one goroutine
	reads   fanout.Memo[string, registry.Descriptor]
}

func newPrefetch(ctx context.Context, reg Registry, jobs int) *prefetch {
	return &prefetch{ctx: ctx, reg: reg, sem: make(chan struct{}, max(jobs, 1)), started: map[string]bool{},
		reads: fanout.Memo[string, registry.Descriptor]{KeepFailures: true}}
}

// start reads t in the background, once. It waits for a free slot before
// it starts the read, so the ledger walk that calls it is paced by the
// registry, as the floor client is (a goroutine per recorded tag waiting
// for a slot was 21,000 parked goroutines at 10,000 releases × 5 refs).
func (p *prefetch) start(t name.Tag) {
	if p.started[t.Name()] {
		return
	}
	p.started[t.Name()] = true
	select {
	case p.sem <- struct{}{}:
	case <-p.ctx.Done():
		return
	}
	p.wg.Go(func() {
		defer func() { <-p.sem }()
		_, _, _ = p.reads.Do(p.ctx, t.Name(), func() (registry.Descriptor, error) { return p.reg.Resolve(p.ctx, t) })
	})
}

// get is where t points now: the read started for it, or a read now.
func (p *prefetch) get(ctx context.Context, t name.Tag) (registry.Descriptor, error) {
	d, _, err := p.reads.Do(ctx, t.Name(), func() (registry.Descriptor, error) { return p.reg.Resolve(ctx, t) })
	return d, err
}

func (p *prefetch) wait() { p.wg.Wait() }
