package restore

import (
	"context"
	"errors"
	"fmt"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/files"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"
	"github.com/tagguard/tagguard/internal/tagwrite"
)

// apply writes each planned tag with tagwrite, which reads each back, and
// sets each tag's state from what the registry says afterwards.
func apply(ctx context.Context, o Options, r *Report, manifests map[string]registry.Manifest) {
	var planned []*Tag
	var ws []tagwrite.Write
	for i := range r.Tags {
		t := &r.Tags[i]
		if t.State != Planned {
			continue
		}
		planned = append(planned, t)
		ws = append(ws, tagwrite.Write{Tag: t.target.tag, Manifest: manifests[targetKey(t.target)], From: t.From})
	}
	for i, out := range tagwrite.Apply(ctx, o.Registry, tagwrite.Options{Jobs: o.Jobs, Grace: o.WriteGrace}, ws) {
		t := planned[i]
		t.Reason, t.failure = out.Reason, out.Err
		switch out.State {
		case tagwrite.Done:
			t.State = Restored
		case tagwrite.Skipped:
			t.State = Skipped
		default:
			t.State = Failed
			// A failed write may still have moved the tag, or left it unknown.
			t.moved = out.Touched && out.Now != ""
			t.unknown = out.Touched && out.Now == ""
		}
	}
}

// Apply writes every planned tag and reads each back. The error's kind is
// the exit code: 3 when nothing changed, 4 when the restore was partly
// applied.
func (p *Plan) Apply(ctx context.Context) (*Report, error) {
	r := p.Report()
	if report.Blocks(r) {
		return r, nil // refused: nothing is written
	}
	r.PlanOnly = false
	apply(ctx, p.o, r, p.manifests)
	r.finish("")
	err := r.settle()
	if p.o.UndoFile != "" && len(r.Outputs.Changed) > 0 {
		// Written whatever else failed: a partly applied restore is when
		// the undo matters most.
		if werr := files.Write(ctx, p.o.UndoFile, []byte(r.Outputs.Undo+"\n")); werr != nil {
			return r, errors.Join(err, errkind.New(errkind.Partial, fmt.Errorf("writing --undo-file %s: %w (the undo output holds it)", p.o.UndoFile, werr)))
		}
		r.UndoFile = p.o.UndoFile
	}
	return r, err
}
