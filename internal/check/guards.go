package check

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/gate"
	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/report"
)

// The guards, by the names reports use.
const (
	GuardImmutable = "immutable-tags"
	GuardBase      = "base-branch"
	GuardFloating  = "floating-tags"
	GuardVersion   = "version"
	GuardSignature = "signature"
)

// Verdict is a guard's or a ref's verdict.
type Verdict string

// The verdicts.
const (
	Pass    Verdict = "pass"
	Blocked Verdict = "blocked"
	Warn    Verdict = "warn"    // passes, but the guard could not see everything
	Skipped Verdict = "skipped" // not asked for, or nothing to guard
	Error   Verdict = "error"   // the registry could not be read: neither pass nor block
)

// judgeRef decides one ref from what the registry holds.
func judgeRef(r *Ref, p input, version *semver.Version, lists map[string]*tagList) {
	r.Guard = guardOfKind(r.Kind)
	if r.err != nil {
		r.Verdict, r.Reason = Error, "could not read the registry: "+report.OneLine(r.err.Error())
		r.Fix = "check the registry host, credentials (--registry-auth, DOCKER_CONFIG) and --timeout, then re-run"
		return
	}
	current := "absent"
	if r.exists() {
		current = "at " + r.Current
	}
	switch r.Kind {
	case policy.Immutable:
		switch {
		case !r.exists():
			r.Verdict, r.Reason = Pass, "new version tag: nothing to overwrite"
		case p.digest != nil && r.Current == p.digest.String():
			r.Verdict, r.Reason = Pass, "already at the digest being published: a re-run, not an overwrite"
		default:
			r.Verdict = Blocked
			r.Reason = fmt.Sprintf("%s already exists at %s; publishing would overwrite a released version", r.Tag, r.Current)
			// Never the existing digest: pasted as it is, it would only
			// silence the guard while other bits are pushed over the release.
			r.Fix = "publish a new version instead; if this re-runs the same build, pass --digest with the digest that build produced: it passes only if it equals the one the tag holds"
			if p.promote {
				r.Fix = "publish a new version instead (promote lets an immutable tag pass only when it already holds the digest being published: a re-run of the same build)"
			}
		}
	case policy.Floating:
		judgeFloating(r, version, *lists[r.ref.Context().String()])
	default:
		r.Verdict, r.Reason = Pass, "mutable tag ("+current+"): may move"
	}
}

func judgeFloating(r *Ref, version *semver.Version, list tagList) {
	line, _ := policy.LineOf(r.Tag)
	if list.err != nil {
		r.Verdict, r.Reason = Error, "could not list the repository's tags: "+report.OneLine(list.err.Error())
		return
	}
	if version == nil {
		r.Verdict = Warn
		r.Reason = fmt.Sprintf("no version known, so whether %s moves forward cannot be checked", r.Tag)
		r.Fix = "pass --version, or publish the version tag in the same list"
		return
	}
	if version.Prerelease() != "" {
		r.Verdict = Blocked
		r.Reason = fmt.Sprintf("%s would point at prerelease %s; floating tags name releases", r.Tag, version.Original())
		r.Fix = fmt.Sprintf("drop %s from a prerelease's tags", r.Tag)
		return
	}
	if !line.Contains(version) {
		r.Verdict = Blocked
		r.Reason = fmt.Sprintf("%s is not %s, which %s stands for", version.Original(), line.Where(), r.Tag)
		r.Fix = fmt.Sprintf("drop %s from this release's tags", r.Tag)
		return
	}
	best, bestTag, ok := line.Highest(list.tags)
	switch {
	case !ok:
		r.Verdict, r.Reason = Pass, fmt.Sprintf("first release %s", line.Where())
	case version.LessThan(best):
		r.Verdict = Blocked
		r.Reason = fmt.Sprintf("%s would move back from %s to %s: the newest release %s is %s",
			r.Tag, bestTag, version.Original(), line.Where(), bestTag)
		r.Fix = fmt.Sprintf("drop %s from this release's tags (a backport must not move it)", r.Tag)
	case version.Equal(best):
		r.Verdict, r.Reason = Pass, fmt.Sprintf("stays at the newest release %s: %s", line.Where(), bestTag)
	default:
		r.Verdict, r.Reason = Pass, fmt.Sprintf("moves forward to %s (newest %s so far: %s)", version.Original(), line.Where(), bestTag)
	}
}

// summarise turns the per-ref verdicts of one guard into the guard's line.
func summarise(name string, refs []Ref) Guard {
	g := Guard{Name: name, Verdict: Skipped}
	var blocked, warned, errored, passed []string
	for _, r := range refs {
		if r.Guard != name {
			continue
		}
		switch r.Verdict {
		case Blocked:
			blocked = append(blocked, r.Tag)
		case Warn:
			warned = append(warned, r.Tag)
		case Error:
			errored = append(errored, r.Tag)
		default:
			passed = append(passed, r.Tag)
		}
	}
	switch {
	case len(errored) > 0:
		g.Verdict, g.Detail = Error, "could not read: "+strings.Join(errored, ", ")
	case len(blocked) > 0:
		g.Verdict, g.Detail = Blocked, "blocked: "+strings.Join(blocked, ", ")
	case len(warned) > 0:
		g.Verdict, g.Detail = Warn, "not checked: "+strings.Join(warned, ", ")
	case len(passed) > 0:
		g.Verdict, g.Detail = Pass, "ok: "+strings.Join(passed, ", ")
	default:
		g.Detail = "no such tags in this run"
	}
	return g
}

// guardOfKind names the guard that judges a tag of kind k; mutable tags
// have none.
func guardOfKind(k policy.Kind) string {
	switch k {
	case policy.Immutable:
		return GuardImmutable
	case policy.Floating:
		return GuardFloating
	}
	return ""
}

// baseGuard checks the branch the release comes from.
func baseGuard(ctx context.Context, o Options) Guard {
	g := Guard{Name: GuardBase}
	if len(o.ExpectedBase) == 0 {
		g.Verdict, g.Detail = Skipped, "no --expected-base given"
		if o.Base != "" {
			g.Detail += " (--base " + o.Base + " alone checks nothing)"
		}
		return g
	}
	want := strings.Join(o.ExpectedBase, ", ")
	b := event.Base{Branch: o.Base, Source: "--base"}
	if o.Base == "" {
		b = o.Event.Base()
	}
	if b.Branch == "" && b.TagSHA != "" {
		if o.LookupBase == nil {
			b.Unknown = fmt.Sprintf("the run was started by tag %s; telling whether commit %s is on %s needs the GitHub API: give --github-token and GITHUB_REPOSITORY", b.Tag, short(b.TagSHA), want)
		} else if branch, err := o.LookupBase(ctx, b.TagSHA, o.ExpectedBase); err != nil {
			b.Unknown = fmt.Sprintf("could not tell whether commit %s of tag %s is on %s: %v", short(b.TagSHA), b.Tag, want, err)
		} else if branch == "" {
			g.Verdict = Blocked
			g.Detail = fmt.Sprintf("commit %s of tag %s is on no branch matching %s", short(b.TagSHA), b.Tag, want)
			g.Fix = "tag a commit of " + want + ", or add its branch to --expected-base"
			return g
		} else {
			b.Branch, b.Source = branch, fmt.Sprintf("branch holding commit %s of tag %s", short(b.TagSHA), b.Tag)
		}
	}
	if b.Branch == "" {
		if o.RequireBase {
			g.Verdict, g.Detail = Blocked, "cannot tell the base branch: "+b.Unknown
			g.Fix = "pass --base, or --require-base=false to let this pass unchecked"
		} else {
			g.Verdict, g.Detail = Warn, "cannot tell the base branch ("+b.Unknown+"); passing because --require-base=false"
		}
		return g
	}
	if policy.MatchAny(o.ExpectedBase, b.Branch) {
		g.Verdict, g.Detail = Pass, fmt.Sprintf("comes from %s (%s), expected %s", b.Branch, b.Source, want)
		return g
	}
	g.Verdict = Blocked
	g.Detail = fmt.Sprintf("comes from %s (%s), but releases must come from %s", b.Branch, b.Source, want)
	g.Fix = "run the release from " + want + ", or add " + b.Branch + " to --expected-base"
	return g
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// resolveVersion finds the version being published and checks that the
// version tags of the run and the git tag that started it agree with it.
func resolveVersion(p input, ev event.Context) (*semver.Version, Guard) {
	g := Guard{Name: GuardVersion}
	byString := map[string]*semver.Version{}
	for _, t := range p.refs {
		if v, ok := policy.ParseVersion(t.TagStr()); ok {
			byString[v.String()] = v
		}
	}
	var distinct []string
	for s := range byString {
		distinct = append(distinct, s)
	}
	sort.Strings(distinct)

	version := p.version
	var problems []string
	switch {
	case version != nil:
		for _, s := range distinct {
			if !byString[s].Equal(version) {
				problems = append(problems, fmt.Sprintf("image tag version %s disagrees with --version %s", s, version.Original()))
			}
		}
	case len(distinct) == 1:
		version = byString[distinct[0]]
	case len(distinct) > 1:
		problems = append(problems, fmt.Sprintf("the images name several versions (%s); publish one version per run or pass --version", strings.Join(distinct, ", ")))
	}
	note := ""
	if tag, ok := ev.Tag(); ok {
		if tv, isVersion := policy.ParseVersion(tag); !isVersion {
			note = fmt.Sprintf("; git tag %s is not a version, not compared", tag)
		} else if version != nil && !tv.Equal(version) {
			problems = append(problems, fmt.Sprintf("the run was started by git tag %s but publishes version %s", tag, version.Original()))
		} else if version != nil {
			note = fmt.Sprintf("; agrees with git tag %s", tag)
		}
	}
	switch {
	case len(problems) > 0:
		g.Verdict, g.Detail = Blocked, strings.Join(problems, "; ")
		g.Fix = "make --version, the image version tags and the git tag name the same version"
	case version == nil:
		g.Verdict, g.Detail = Skipped, "no version given or tagged"+note
	default:
		g.Verdict, g.Detail = Pass, "version "+version.Original()+note
	}
	return version, g
}

// signatureGuard verifies --digest in every repository of --images: a
// tag there will name it, and whoever pulls it verifies it there.
func signatureGuard(ctx context.Context, g *gate.Gate, p input) Guard {
	var ds []name.Digest
	seen := map[string]bool{}
	for _, t := range p.refs {
		if repo := t.Context().Name(); !seen[repo] {
			seen[repo] = true
			ds = append(ds, t.Context().Digest(p.digest.String()))
		}
	}
	verdicts, err := g.CheckAll(ctx, ds)
	if err != nil {
		return Guard{Name: GuardSignature, Verdict: Error, Detail: err.Error()}
	}
	out := gate.Judge(ds, verdicts)
	switch {
	case out.Passed:
		return Guard{Name: GuardSignature, Verdict: Pass, Detail: gate.Clip(out.Lines, 5)}
	case out.Unknown:
		return Guard{Name: GuardSignature, Verdict: Error, Detail: gate.Clip(out.Failed, 5)}
	}
	return Guard{Name: GuardSignature, Verdict: Blocked, Detail: gate.Clip(out.Failed, 5), Fix: g.Fix()}
}
