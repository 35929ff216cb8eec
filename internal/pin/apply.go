package pin

import (
	"context"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/files"
	"github.com/tagguard/tagguard/internal/report"
)

// Apply writes the output file when one was asked for.
func (p *Plan) Apply(ctx context.Context) (*Report, error) {
	r := p.report
	if p.o.Output == "" || p.o.Verify || report.Blocks(r) {
		return r, nil
	}
	if err := files.Write(ctx, p.o.Output, []byte(r.Output)); err != nil {
		return r, errkind.BadInputf("writing --output %s: %v", p.o.Output, err)
	}
	r.Written = p.o.Output
	return r, nil
}
