package promote

import (
	"context"
	"fmt"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/gate"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/report"
)

// gate verifies every source's signature before anything is written: a
// source none verifies for blocks the run (exit 1), one whose attachments
// could not be read stops it (exit 3). stop says the run ends here.
func (p *Plan) gate(ctx context.Context, r *Report) (stop bool, err error) {
	verdicts, err := p.o.Gate.CheckAll(ctx, p.in.sources)
	if err != nil {
		r.stop("the signature gate could not start: nothing was written")
		return true, err
	}
	for i, d := range p.in.sources {
		v := verdicts[oci.AttachedKey(d)]
		r.Sources[i].Signature = &v
	}
	out := gate.Judge(p.in.sources, verdicts)
	switch {
	case out.Passed:
		return false, nil
	case out.Unknown:
		r.stop("the signature gate could not read what is attached to a source: nothing was written")
		return true, errkind.Remotef("the signature gate could not tell: %s", gate.Clip(out.Failed, 3))
	}
	r.Blocked = true
	r.Refuse("%s", p.o.Gate.Refusal(out))
	r.stop(fmt.Sprintf("BLOCKED by the signature gate: %d of %s not verified (%s): nothing was written", len(out.Failed), report.Plural(len(out.Lines), "source"), p.o.Gate.Options().Wants()))
	return true, nil
}
