package pin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"gopkg.in/yaml.v3"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/files"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/ledgers"
	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"
)

// Plan is a pin worked out: what is written (or, with --verify, what was
// found). Apply writes --output, a local file; nothing is written to a
// registry or to GitHub, ever.
type Plan struct {
	o      Options
	report *Report
}

// Report is the plan's report.
func (p *Plan) Report() *Report { return p.report }

// Apply writes the output file when one was asked for.
func (p *Plan) Apply(ctx context.Context) (*Report, error) {
	r := p.report
	if p.o.Output == "" || p.o.Verify {
		return r, nil
	}
	if err := ledger.WriteFile(ctx, p.o.Output, []byte(r.Output)); err != nil {
		return r, errkind.BadInputf("writing --output %s: %v", p.o.Output, err)
	}
	r.Written = p.o.Output
	return r, nil
}

// recorded is one ledger entry, by its normalised name.
type recorded struct {
	tag   name.Tag
	image ledger.Image
}

// NewPlan reads the ledger and the compose files and works out the pins,
// or, with --verify, reads every pinned digest from the registry.
func NewPlan(ctx context.Context, o Options) (*Plan, error) {
	if err := Validate(o); err != nil {
		return nil, err
	}
	var l *ledger.Ledger
	r := &Report{Command: "pin", Kind: o.kind(), Verify: o.Verify}
	if _, err := ledgers.Each(ctx, o.sources(), func(got ledgers.Loaded) error {
		l, r.Ledger = got.Ledger, got.From
		r.LedgerSource, r.Sealed, r.Tampered = string(got.Evidence), got.Evidence == ledgers.Sealed, got.Tampered
		return nil
	}); err != nil {
		return nil, err
	}
	if r.Tampered == nil {
		r.Tampered = []string{}
	}
	if len(r.Tampered) > 0 {
		// A deploy must not follow notes someone edited against the
		// asset: nothing is pinned until a person has looked.
		r.blocked = true
		r.Summary = "BLOCKED: " + r.Ledger + " is tampered: its notes and its ledger asset " + ledger.AssetName + " disagree (" + strings.Join(r.Tampered, "; ") + "); nothing was pinned"
		return &Plan{o: o, report: r}, errkind.Blockedf("%s is tampered: its notes and its ledger asset %s disagree; nothing was pinned: compare them by hand, the asset is what tagguard trusts", r.Ledger, ledger.AssetName)
	}
	byName := map[string]recorded{}
	for _, im := range l.Images {
		t, err := name.NewTag(im.Ref, name.WeakValidation)
		if err != nil {
			return nil, errkind.BadInputf("%s: ledger image %s: %v", r.Ledger, im.Ref, err)
		}
		byName[t.Name()] = recorded{t, im}
	}
	read := o.ReadFile
	if read == nil {
		read = func(path string) ([]byte, error) { return files.Read(ctx, path, files.MaxSize) }
	}
	services, err := readCompose(ctx, o.Compose, read, envOf(o.Getenv, o.LookupEnv))
	if err != nil {
		return nil, err
	}
	p := &Plan{o: o, report: r}
	switch {
	case o.Verify:
		err = verify(ctx, o, r, services, byName)
	case r.Kind == Compose:
		err = pinCompose(ctx, o, r, services, byName)
	case r.Kind == Kustomize:
		err = kustomize(o, r, l)
	default:
		r.Output = list(l)
	}
	if o.Verify || r.Kind == Compose {
		warnFloating(ctx, o, r, byName)
	}
	r.finish()
	if o.Verify && r.blocked && errkind.Of(err) == errkind.Remote {
		// A pin known to differ makes the deploy due (exit 1) whatever
		// could not be read; the rows and the headline name those.
		err = nil
	}
	return p, err
}

// image is a compose image split: its repository, its tag (nil for a
// digest-only image, never an assumed latest) and its digest ("" when it
// follows a tag).
type image struct {
	repo   name.Repository
	tag    *name.Tag
	digest string
	text   string // REPO:TAG as written, for the pin
}

func parseImage(s string) (image, error) {
	ref, dig, _ := strings.Cut(s, "@")
	im := image{digest: dig, text: ref}
	last := ref[strings.LastIndex(ref, "/")+1:]
	if strings.Contains(last, ":") {
		t, err := name.NewTag(ref, name.WeakValidation)
		if err != nil {
			return im, err
		}
		im.tag, im.repo = &t, t.Context()
		return im, nil
	}
	r, err := name.NewRepository(ref, name.WeakValidation)
	if err != nil {
		return im, err
	}
	if dig == "" {
		// No tag and no digest: compose would pull latest. Say so rather
		// than pin what the ledger recorded for latest.
		t := r.Tag("latest")
		im.tag = &t
	}
	im.repo = r
	return im, nil
}

// pinCompose writes the override: every service whose image the ledger
// records, as REPO:TAG@sha256:… (the tag kept for readability), sorted.
func pinCompose(ctx context.Context, o Options, r *Report, services []service, byName map[string]recorded) error {
	pins := map[string]string{}
	var unknown []*Service
	for _, s := range services {
		row := Service{Service: s.Name, File: s.File, Image: s.Image}
		im, err := parseImage(s.Image)
		switch {
		case err != nil:
			row.State, row.Reason = Unrecorded, "not an image reference tagguard can pin: "+report.OneLine(err.Error())
		case im.tag == nil:
			// repo@sha256:… names its bits already: never re-pinned to
			// what a tag of the ledger points at.
			row.State, row.Reason = Unrecorded, "pinned by digest with no tag: left as it is"
		default:
			if rec, ok := byName[im.tag.Name()]; ok {
				row.State, row.Pinned = Pinned, im.text+"@"+rec.image.Digest
				pins[s.Name] = row.Pinned
			} else {
				row.State, row.Reason = Unrecorded, "the ledger does not record "+im.text
			}
		}
		r.Services = append(r.Services, row)
		if row.State == Unrecorded && err == nil && im.tag != nil {
			unknown = append(unknown, &r.Services[len(r.Services)-1])
		}
	}
	if o.Resolve && len(unknown) > 0 {
		errs := make([]error, len(unknown))
		fanout.Each(ctx, o.Jobs, len(unknown), func(i int) {
			s := unknown[i]
			repoTag, _, _ := strings.Cut(s.Image, "@")
			t, _ := name.NewTag(repoTag, name.WeakValidation)
			d, err := o.Registry.Resolve(ctx, t)
			if err != nil {
				errs[i] = err
				return
			}
			s.State, s.Pinned, s.Reason = Resolved, repoTag+"@"+d.Digest.String(), "not in the ledger: pinned at the tag's digest now (--resolve)"
		})
		for _, s := range unknown {
			if s.State == Resolved {
				pins[s.Service] = s.Pinned
			}
		}
		if err := errors.Join(errs...); err != nil {
			return errkind.New(errkind.Remote, err)
		}
	}
	for _, s := range r.Services {
		if s.State == Unrecorded && o.Warn != nil {
			o.Warn(fmt.Sprintf("tagguard pin: service %s (%s) left out: %s", s.Service, s.Image, s.Reason))
		}
	}
	var doc struct {
		Services map[string]struct {
			Image string `yaml:"image"`
		} `yaml:"services"`
	}
	doc.Services = map[string]struct {
		Image string `yaml:"image"`
	}{}
	for svc, img := range pins {
		doc.Services[svc] = struct {
			Image string `yaml:"image"`
		}{img}
	}
	b, err := marshal(doc) // maps marshal sorted: the same pins give the same bytes
	if err != nil {
		return err
	}
	r.Output = "# Generated by tagguard pin from " + r.Ledger + ": every service's image by digest.\n" + string(b)
	return nil
}

// list is every recorded ref as REPO:TAG@sha256:…, sorted.
func list(l *ledger.Ledger) string {
	var lines []string
	for _, im := range l.Images {
		lines = append(lines, im.Ref+"@"+im.Digest)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

// kustomize is a kustomize images: list, one entry per repository: the
// digest of its version tag where the ledger records several tags of it
// (a version, and the floating tags that point at the same bits).
func kustomize(o Options, r *Report, l *ledger.Ledger) error {
	type entry struct {
		Name    string `yaml:"name"`
		NewName string `yaml:"newName,omitempty"`
		Digest  string `yaml:"digest"`
	}
	chosen := map[string]ledger.Image{}
	var best = map[string]string{}          // repository → the highest version chosen so far
	digests := map[string]map[string]bool{} // repository → every digest recorded for it
	for _, im := range l.Images {
		t, err := name.NewTag(im.Ref, name.WeakValidation)
		if err != nil {
			continue
		}
		repo := kustomizeName(t.Context())
		if digests[repo] == nil {
			digests[repo] = map[string]bool{}
		}
		digests[repo][im.Digest] = true
		_, ok := chosen[repo]
		v, isVersion := policy.ParseVersion(t.TagStr())
		switch {
		case !ok:
			chosen[repo] = im
			if isVersion {
				best[repo] = t.TagStr()
			}
		case isVersion && (best[repo] == "" || v.GreaterThan(mustVersion(best[repo]))):
			chosen[repo], best[repo] = im, t.TagStr()
		}
	}
	if o.Warn != nil {
		for _, repo := range slices.Sorted(maps.Keys(digests)) {
			if len(digests[repo]) > 1 {
				o.Warn(fmt.Sprintf("tagguard pin: %s is recorded at %d digests; kustomize takes one per image, the highest version's: %s", repo, len(digests[repo]), chosen[repo].Ref))
			}
		}
	}
	var out struct {
		Images []entry `yaml:"images"`
	}
	repos := make([]string, 0, len(chosen))
	for repo := range chosen {
		repos = append(repos, repo)
	}
	slices.Sort(repos)
	for _, repo := range repos {
		e := entry{Name: repo, Digest: chosen[repo].Digest}
		for _, rn := range o.Rename {
			old, nw, _ := strings.Cut(rn, "=")
			old, nw = strings.TrimSuffix(old, "/"), strings.TrimSuffix(nw, "/")
			if repo == old || strings.HasPrefix(repo, old+"/") {
				e.NewName = nw + strings.TrimPrefix(repo, old)
				break
			}
		}
		out.Images = append(out.Images, e)
	}
	b, err := marshal(out)
	if err != nil {
		return err
	}
	r.Output = string(b)
	return nil
}

// marshal writes YAML indented by two, as compose and kustomize files are.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	err := enc.Close()
	return b.Bytes(), err
}

// kustomizeName is an image's name as a manifest writes it, which is what
// kustomize matches: Docker Hub's without its registry and library/.
func kustomizeName(r name.Repository) string {
	if r.RegistryStr() == name.DefaultRegistry {
		return strings.TrimPrefix(r.RepositoryStr(), "library/")
	}
	return r.Name()
}

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
