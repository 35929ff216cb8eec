package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/tagguard/tagguard/internal/gate"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/report"
)

// checkSignatures verifies every recorded digest still at its tag (the
// signature gate): one whose signature was deleted, or replaced by
// another key's, is unverified (exit 1); one whose attachments could not
// be read is unknown (exit 3). A ref already not ok keeps its state, the
// finding added to its reason.
func checkSignatures(ctx context.Context, g *gate.Gate, recs []*record, refs []Ref) {
	var ds []name.Digest
	for i, rec := range recs {
		if refs[i].State == Unknown || refs[i].State == Missing {
			continue
		}
		ds = append(ds, rec.tag.Context().Digest(rec.image.Digest))
	}
	verdicts, err := g.CheckAll(ctx, ds)
	for i, rec := range recs {
		ref := &refs[i]
		if ref.State == Unknown || ref.State == Missing {
			continue
		}
		v, ok := verdicts[oci.AttachedKey(rec.tag.Context().Digest(rec.image.Digest))]
		if !ok {
			v = gate.Verdict{Digest: rec.image.Digest, State: gate.Unknown, Why: report.OneLine(fmt.Sprint(err))}
		}
		ref.Signature = &v
		if v.Passed() {
			continue
		}
		why := "signature gate: " + v.String()
		switch {
		case ref.State == OK && v.State == gate.Unknown:
			ref.State, ref.err, ref.Reason = Unknown, errors.New(why), why
		case ref.State == OK:
			ref.State, ref.Reason = Unverified, why
		default:
			ref.Reason = strings.TrimPrefix(ref.Reason+"; "+why, "; ")
		}
	}
}
