package pin

import (
	"context"
	"errors"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/files"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/ledger/load"
	"github.com/tagguard/tagguard/internal/refs"
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

// recorded is one ledger entry, by its normalised name.
type recorded struct {
	tag   name.Tag
	image ledger.Image
}

// NewPlan reads the ledger and the compose files and works out the pins,
// or, with --verify, reads every pinned digest from the registry.
func NewPlan(ctx context.Context, o Options) (*Plan, error) {
	if err := errors.Join(Validate(o), CheckOutput(o)); err != nil {
		return nil, err
	}
	if err := o.Gate.Prepare(ctx); err != nil {
		return nil, err
	}
	var l *ledger.Ledger
	r := &Report{Command: "pin", Kind: o.kind(), Verify: o.Verify, allowPartial: o.AllowPartial}
	got, err := load.Combine(ctx, o.sources())
	if err != nil {
		return nil, err
	}
	l, r.Ledger = got.Ledger, got.From
	r.LedgerSource, r.Sealed, r.Tampered = string(got.Evidence), got.Evidence == load.Sealed, got.Tampered
	if r.Tampered == nil {
		r.Tampered = []string{}
	}
	if len(r.Tampered) > 0 {
		// A deploy must not follow notes someone edited against the
		// asset: nothing is pinned until a person has looked.
		r.blocked = true
		r.Summary = "BLOCKED: " + r.Ledger + " is tampered: its notes and its ledger asset " + ledger.AssetName + " disagree (" + strings.Join(r.Tampered, "; ") + "); nothing was pinned"
		r.Refuse("%s is tampered: its notes and its ledger asset %s disagree; nothing was pinned: compare them by hand, the asset is what tagguard trusts", r.Ledger, ledger.AssetName)
		return &Plan{o: o, report: r}, nil
	}
	byName := map[string]recorded{}
	for _, im := range l.Images {
		t, err := refs.Loose(im.Ref)
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
	if o.Gate != nil && err == nil {
		err = signatures(ctx, o, r, l)
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
	if !o.Verify && r.blocked && (err == nil || len(r.unverified) > 0) {
		// Nothing is written, and the override is not printed: the
		// refusal says why where a script sees it.
		r.Output = ""
		r.Refuse("%s", strings.TrimPrefix(r.Summary, "BLOCKED: "))
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
		t, err := refs.Loose(ref)
		if err != nil {
			return im, err
		}
		im.tag, im.repo = &t, t.Context()
		return im, nil
	}
	r, err := refs.LooseRepository(ref)
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
