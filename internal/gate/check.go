package gate

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"
)

// Registry is what the gate reads: what is attached to a digest, the
// attached manifests, and their layers (the signatures themselves).
type Registry interface {
	Attachments(ctx context.Context, d name.Digest) (oci.Attached, error)
	Manifest(ctx context.Context, ref name.Reference) (registry.Manifest, error)
	Blob(ctx context.Context, repo name.Repository, digest v1.Hash, max int64) ([]byte, error)
}

// State is what the gate found for one digest.
type State string

// The states, as plans and the JSON report name them.
const (
	Verified   State = "verified"     // a signature over the digest verifies
	Unverified State = "not verified" // signatures are attached; none verifies
	None       State = "none"         // no signature is attached
	Unknown    State = "unknown"      // what is attached could not be read
)

// Verdict is the gate's answer for one digest.
type Verdict struct {
	Digest string `json:"digest"`
	State  State  `json:"state"`
	// By is the key or identity a signature verified with; for an index
	// that passes by its images, "its N images".
	By string `json:"by,omitempty"`
	// Via is where the signature that verified was found.
	Via string `json:"via,omitempty"`
	// Why is why it did not pass: the reasons of the signatures tried.
	Why string `json:"why,omitempty"`
}

// Passed reports whether the digest passes the gate.
func (v Verdict) Passed() bool { return v.State == Verified }

// String is the plan column: "verified by cosign.pub (…) (legacy tag)",
// "not verified: …", "no signature", "unknown: …".
func (v Verdict) String() string {
	switch v.State {
	case Verified:
		s := "verified by " + v.By
		if v.Via != "" {
			s += " (" + v.Via + ")"
		}
		return s
	case None:
		if v.Why == "" || v.Why == noSignature {
			return "no signature"
		}
		return "no signature: " + v.Why
	}
	return string(v.State) + ": " + v.Why
}

// Limits on what one digest makes the gate read: cosign keeps every
// signature of a digest in one .sig manifest, and a referrers list may be
// long; a real one holds a handful.
const (
	maxCandidates = 64       // signatures tried per digest
	maxImages     = 64       // distinct images an index tree may name
	maxBundle     = 1 << 20  // one Sigstore bundle (a few KiB with its certificate)
	maxPayload    = 64 << 10 // one simple-signing payload (a few hundred bytes)
	maxDepth      = 2        // index of index of images
)

// Check is d's verdict, each digest checked once a run.
func (g *Gate) Check(ctx context.Context, d name.Digest) Verdict {
	if err := g.Prepare(ctx); err != nil {
		return Verdict{Digest: d.DigestStr(), State: Unknown, Why: err.Error()}
	}
	return g.memo(ctx, g.reg, d, 0, new(atomic.Int64))
}

// CheckAll is the verdict of every digest, keyed by oci.AttachedKey,
// several at once (the client's --jobs bounds the requests). The error is
// Prepare's: a key or trusted root that could not be read.
func (g *Gate) CheckAll(ctx context.Context, ds []name.Digest) (map[string]Verdict, error) {
	if err := g.Prepare(ctx); err != nil {
		return nil, err
	}
	out := make([]Verdict, len(ds))
	fanout.Each(ctx, min(len(ds), 16), len(ds), func(i int) { out[i] = g.Check(ctx, ds[i]) })
	m := make(map[string]Verdict, len(ds))
	for i, d := range ds {
		if out[i].Digest == "" {
			out[i] = Verdict{Digest: d.DigestStr(), State: Unknown, Why: "not checked: " + errString(ctx.Err())}
		}
		m[oci.AttachedKey(d)] = out[i]
	}
	return m, nil
}

func errString(err error) string {
	if err == nil {
		return "cut short"
	}
	return err.Error()
}

// check applies the rule: d's own signatures first; an index none of whose
// own verifies passes when every image it names does (a merged index is
// new bytes that only its images' signatures cover). Each image is
// checked once, through the run's verdicts, and an index tree may name at
// most maxImages distinct images: a real one names a handful, and one of
// a thousand copies of a thousand copies would be hours of requests.
func (g *Gate) check(ctx context.Context, reg Registry, d name.Digest, depth int, budget *atomic.Int64) Verdict {
	if !sha256Digest.MatchString(d.DigestStr()) {
		return Verdict{Digest: report.Clip(d.DigestStr(), 100), State: Unknown, Why: "not a sha256 digest: tagguard verifies sha256 digests only"}
	}
	own := g.own(ctx, reg, d)
	if own.Passed() || depth >= maxDepth {
		return own
	}
	unknown := func(why string) Verdict {
		if own.State != None {
			why += "; its own signatures: " + own.Why
		}
		return Verdict{Digest: d.DigestStr(), State: Unknown, Why: why}
	}
	m, err := reg.Manifest(ctx, d)
	if err != nil {
		// Whether it is an index, whose images could make it pass, is
		// not known: never a refusal on what was not read.
		return unknown("reading its manifest (is it an index?): " + report.OneLine(err.Error()))
	}
	if !m.MediaType.IsIndex() {
		return own
	}
	entries, err := oci.Entries(m.Raw)
	if err != nil {
		return unknown("its index does not parse: " + report.OneLine(err.Error()))
	}
	var children []name.Digest
	for _, c := range entries {
		child := d.Context().Digest(c.Digest.String())
		if oci.Pullable(c) && !slices.ContainsFunc(children, func(x name.Digest) bool { return x.DigestStr() == child.DigestStr() }) {
			children = append(children, child)
		}
	}
	if len(children) == 0 {
		return own
	}
	if budget.Add(int64(len(children))) > maxImages {
		return unknown(fmt.Sprintf("an index tree naming over %d images: refused (a real one names a handful)", maxImages))
	}
	verdicts := make([]Verdict, len(children))
	fanout.Each(ctx, min(len(children), 8), len(children), func(i int) {
		verdicts[i] = g.memo(ctx, reg, children[i], depth+1, budget)
	})
	for i, v := range verdicts {
		if v.Digest == "" {
			v = Verdict{Digest: children[i].DigestStr(), State: Unknown, Why: "not checked: " + errString(ctx.Err())}
		}
		if !v.Passed() {
			why := fmt.Sprintf("its image %s: %s", v.Digest, v)
			if own.State != None {
				why = own.Why + "; and " + why
			}
			state := own.State
			if rank[v.State] > rank[state] {
				state = v.State
			}
			return Verdict{Digest: d.DigestStr(), State: state, Why: why}
		}
	}
	by := []string{}
	for _, v := range verdicts {
		if !slices.Contains(by, v.By) {
			by = append(by, v.By)
		}
	}
	return Verdict{Digest: d.DigestStr(), State: Verified, By: strings.Join(by, ", "), Via: fmt.Sprintf("each of its %d images", len(children))}
}

// memo is check through the run's verdicts: an image two indexes (or two
// entries of one) name is checked once. The depth is part of the key: a
// nested index checked at the depth limit judges by its own signatures
// alone.
func (g *Gate) memo(ctx context.Context, reg Registry, d name.Digest, depth int, budget *atomic.Int64) Verdict {
	v, _, err := g.verdicts.Do(ctx, fmt.Sprintf("%s#%d", oci.AttachedKey(d), depth), func() (Verdict, error) {
		return g.check(ctx, reg, d, depth, budget), nil
	})
	if err != nil {
		return Verdict{Digest: d.DigestStr(), State: Unknown, Why: err.Error()}
	}
	return v
}

// sha256Digest is the only digest form the gate verifies.
var sha256Digest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

const noSignature = "no signature is attached"

// rank orders the states that fail: an index is as bad as its worst part.
var rank = map[State]int{None: 1, Unverified: 2, Unknown: 3}

// own is d's verdict by the signatures attached to d itself: cosign's
// .sig tag first (its layers), then each referrer, by digest; at most
// maxCandidates are verified. Anyone with push rights can attach more:
// when some were left untried and none tried verifies, the verdict is
// unknown, never a refusal of a signature that was not looked at.
func (g *Gate) own(ctx context.Context, reg Registry, d name.Digest) Verdict {
	a, readErr := reg.Attachments(ctx, d)
	ms := slices.Clone(a.Manifests)
	slices.SortStableFunc(ms, func(x, y oci.Attachment) int {
		if (x.Tag == "") != (y.Tag == "") {
			return strings.Compare(y.Tag, x.Tag) // a legacy tag (non-empty) first
		}
		return strings.Compare(x.Digest.DigestStr(), y.Digest.DigestStr())
	})
	var tried []candidate
	untried := 0
	for _, m := range ms {
		switch {
		case strings.HasSuffix(m.Tag, ".sig"):
			cs, more := g.legacy(ctx, reg, d, m, maxCandidates-len(tried))
			tried, untried = append(tried, cs...), untried+more
		case m.Tag == "" && len(tried) >= maxCandidates:
			if g.isBundle(ctx, reg, m) {
				untried++
			}
		case m.Tag == "":
			if c, ok := g.referrer(ctx, reg, d, m); ok {
				tried = append(tried, c)
			}
		}
	}
	for i := range tried {
		tried[i].via, tried[i].by = report.Clip(tried[i].via, 200), report.Clip(tried[i].by, 300)
	}
	slices.SortStableFunc(tried, func(a, b candidate) int { return strings.Compare(a.via, b.via) })
	var whys []string
	for _, c := range tried {
		if c.err == nil {
			return Verdict{Digest: d.DigestStr(), State: Verified, By: c.by, Via: c.via}
		}
		if w := c.via + ": " + report.Clip(c.err.Error(), 500); !slices.Contains(whys, w) {
			whys = append(whys, w)
		}
	}
	if len(whys) > 3 {
		whys = append(whys[:3], fmt.Sprintf("%d more", len(whys)-3))
	}
	switch {
	case readErr != nil:
		// Part of what is attached could not be read: a signature that
		// would verify may be in that part. Unknown, never unsigned.
		why := "reading what is attached: " + report.OneLine(readErr.Error())
		if len(whys) > 0 {
			why += "; " + strings.Join(whys, "; ")
		}
		return Verdict{Digest: d.DigestStr(), State: Unknown, Why: why}
	case untried > 0:
		why := fmt.Sprintf("%d signatures are attached, more than the %d verified per digest, and none of those verifies (someone flooding the digest with signatures?)", len(tried)+untried, maxCandidates)
		return Verdict{Digest: d.DigestStr(), State: Unknown, Why: why + "; " + strings.Join(whys, "; ")}
	case len(tried) == 0:
		return Verdict{Digest: d.DigestStr(), State: None, Why: noSignature}
	}
	state := Unverified
	for _, c := range tried {
		if errors.Is(c.err, errRead) {
			state = Unknown
		}
	}
	return Verdict{Digest: d.DigestStr(), State: state, Why: strings.Join(whys, "; ")}
}

// candidate is one signature tried: where it was found, and the key or
// identity it verified with (err nil) or why it did not.
type candidate struct {
	via string
	by  string
	err error
}

// errRead marks a candidate that could not be read (a registry failure):
// the digest is then unknown, not unverified.
var errRead = errors.New("could not read it")
