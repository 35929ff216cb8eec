package record

import "context"

// Run plans and applies as app.Run does, for tests of the whole path.
func Run(ctx context.Context, o Options) (*Report, error) {
	p, err := NewPlan(ctx, o)
	if p == nil {
		return nil, err
	}
	if err != nil || p.Report().Blocking() {
		return p.Report(), err
	}
	return p.Apply(ctx)
}

// planOnly is what --dry-run runs: the plan's report, nothing applied.
func planOnly(ctx context.Context, o Options) (*Report, error) {
	p, err := NewPlan(ctx, o)
	if p == nil {
		return nil, err
	}
	return p.Report(), err
}
