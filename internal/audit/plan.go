package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/files"
	"github.com/tagguard/tagguard/internal/floating"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/ledger/load"
	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/refs"
	"github.com/tagguard/tagguard/internal/report"
)

// record is the newest ledger entry of one ref.
type record struct {
	tag          name.Tag
	image        ledger.Image
	created      time.Time       // the ledger's own date, as it says
	date         time.Time       // what orders records: see load.Loaded.Date
	suspect      bool            // the ledger's own date cannot be believed
	since        *semver.Version // a floating tag's version as recorded, when the ledger says
	from         string
	evidence     load.Evidence
	inconsistent string // why this ledger's mirrors, or two records as new as each other, disagree
}

// Plan is an audit done: audit only reads, so its plan is its report and
// Apply writes only the --drift-file.
type Plan = report.ReadOnly[*Report]

// NewPlan audits: it loads every ledger, keeps the newest record of each
// ref, reads each tag (one HEAD), and for each ref that is not where it
// should be, whether its recorded digest (and an index's children) still
// exists. Nothing is written. The error is bad input (2, no plan), or a
// registry or GitHub failure (3) with the report of what could be read.
func NewPlan(ctx context.Context, o Options) (*Plan, error) {
	r, err := audit(ctx, o)
	if r == nil || r.loadErr != nil || o.DriftFile == "" {
		return report.Read(r, err)
	}
	return report.ReadThen(r, err, func(ctx context.Context, r *Report) error { return writeDrift(ctx, o.DriftFile, r) })
}

// writeDrift is audit's one write, in Apply: a file of the operator's, not
// a write to a registry, and the next step's input (restore
// --from-ledger), named in the report. It is written whatever the verdict,
// and when some refs could not be read: what drift was found is still
// drift.
func writeDrift(ctx context.Context, path string, r *Report) error {
	if err := files.Write(ctx, path, []byte(r.Outputs.Drift+"\n")); err != nil {
		return errkind.BadInputf("writing --drift-file %s: %v", path, err)
	}
	r.DriftFile = path
	return nil
}

func audit(ctx context.Context, o Options) (*Report, error) {
	if err := errors.Join(Validate(o), CheckOutput(o)); err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := o.Gate.Prepare(ctx); err != nil {
		return nil, err
	}
	records := map[string]*record{}
	recorded := map[string]bool{} // ref name + " " + digest, every record read: evidence of a release
	ledgersRead := 0
	var flags []load.Problem
	src := o.sources()
	src.Now = o.Now
	// Registry reads start with the first ledger, while later release pages
	// are still read: where a tag points now does not depend on which
	// record of it wins.
	pf := newPrefetch(ctx, o.Registry, o.Jobs)
	defer pf.wait()
	evidence := map[string]int{}
	var tampered []Tampered
	problems, err := load.Each(ctx, src, func(got load.Loaded) error {
		ledgersRead++
		evidence[string(got.Evidence)]++
		if len(got.Tampered) > 0 {
			// The asset's record is audited (got.Ledger is the asset's);
			// the notes' other record is reported, never followed.
			tampered = append(tampered, Tampered{From: got.From, Evidence: string(got.Evidence), Differences: got.Tampered})
		}
		if got.Suspect != "" {
			flags = append(flags, load.Problem{From: got.From, Reason: got.Suspect + ": its records never outrank another"})
		}
		keep(o, records, got)
		for _, im := range got.Ledger.Images {
			if t, err := refs.ParseTag(im.Ref); err == nil && (len(o.Tags) == 0 || policy.MatchRef(o.Tags, t.TagStr(), t.String(), t.Name(), strings.Replace(t.Name(), "index.docker.io/", "docker.io/", 1))) {
				pf.start(t)
			}
		}
		for _, im := range got.Ledger.Images {
			if t, err := refs.ParseTag(im.Ref); err == nil {
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
	// Every release read is complete evidence; one that could not be
	// read makes it partial.
	ev := floating.Evidence{Recorded: func(ref, digest string) bool { return recorded[ref+" "+digest] }, Complete: o.FromReleases && len(problems) == 0}
	if o.GitHub != nil && o.Event.Repository != "" && !o.FromReleases {
		// Every release's ledger is read already when auditing them all.
		ev.Release = floating.ReleaseLedgers(o.GitHub, o.Event.Repository)
		ev.Complete = true // any version's release can be looked up
	}
	readTags(ctx, o, recs, r.Refs, floating.New(o.Registry, ev), pf)
	checkRestorable(ctx, o, recs, r.Refs)
	if o.Referrers {
		checkAttached(ctx, o, recs, r.Refs)
	}
	if o.Gate != nil {
		checkSignatures(ctx, o.Gate, recs, r.Refs)
	}
	r.finish(o.Now())
	return r, r.err()
}

// keep folds one ledger into the records: the newest record of a ref wins
// (a floating tag recorded by every release, a re-record after a restore);
// older records are history, not drift. Newest is by Loaded.Date, so a
// release's notes cannot date themselves forward; a suspect record never
// outranks another, and two records as new as each other that disagree
// are inconsistent. Within one ledger, a tag recorded in several
// registries (a mirror) at different digests is inconsistent.
func keep(o Options, records map[string]*record, got load.Loaded) {
	l := got.Ledger
	mirrors := map[string]map[string][]string{} // repository path:tag → digest → hosts
	tags := map[string]name.Tag{}
	for _, im := range l.Images {
		t, err := refs.ParseTag(im.Ref)
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
		if !ok || (len(o.Tags) > 0 && !policy.MatchRef(o.Tags, t.TagStr(), t.String(), t.Name(), strings.Replace(t.Name(), "index.docker.io/", "docker.io/", 1))) {
			continue
		}
		key := t.Name()
		suspect := got.Suspect != ""
		if prev, ok := records[key]; ok {
			stronger, weaker := load.Stronger(got.Evidence, prev.evidence), load.Stronger(prev.evidence, got.Evidence)
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
		if prev, ok := records[key]; ok && prev.image.Digest != im.Digest && load.Stronger(got.Evidence, prev.evidence) {
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
