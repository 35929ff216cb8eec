package restore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/gate"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/report"
)

// signatures is the signature gate's pre-flight: every target digest must
// verify in its repository before the first write. One that does not
// is the report's refusal (exit 1), one that could not be read is the
// error (exit 3): nothing is written either way.
func signatures(ctx context.Context, g *gate.Gate, r *Report) error {
	var ds []name.Digest
	for _, t := range r.Tags {
		ds = append(ds, t.target.tag.Context().Digest(t.To))
	}
	verdicts, err := g.CheckAll(ctx, ds)
	if err != nil {
		return err
	}
	for i := range r.Tags {
		v := verdicts[oci.AttachedKey(ds[i])]
		r.Tags[i].Signature = &v
	}
	ds = slices.CompactFunc(slices.SortedFunc(slices.Values(ds), func(a, b name.Digest) int { return strings.Compare(a.String(), b.String()) }),
		func(a, b name.Digest) bool { return a.String() == b.String() })
	out := gate.Judge(ds, verdicts)
	if out.Passed {
		return nil
	}
	for i := range r.Tags {
		t := &r.Tags[i]
		t.State, t.Reason = Skipped, "not started: the signature gate refused another target"
		if !t.Signature.Passed() {
			t.Reason = "not started: the signature gate refused its digest"
		}
	}
	if out.Unknown {
		r.finish("the signature gate could not tell: nothing was written")
		return errkind.Remotef("the signature gate could not tell: %s", gate.Clip(out.Failed, 3))
	}
	r.finish("the signature gate refused: nothing was written")
	r.Summary = fmt.Sprintf("BLOCKED by the signature gate: %d of %s not verified (%s): nothing was written", len(out.Failed), report.Plural(len(ds), "target digest"), g.Options().Wants())
	r.Refuse("%s", g.Refusal(out))
	return nil
}
