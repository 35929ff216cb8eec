package record

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/refs"
)

// platformCache reads each index once however many tags point at it; a
// read that failed is kept, as the tags that share it fail alike.
type platformCache struct {
	memo fanout.Memo[string, platformResult]
}

type platformResult struct {
	ps     []ledger.Platform
	inline map[string]bool // the images the index holds a BuildKit attestation for
}

func (c *platformCache) get(ctx context.Context, reg Registry, ref name.Digest) ([]ledger.Platform, map[string]bool, error) {
	res, _, err := c.memo.Do(ctx, ref.String(), func() (platformResult, error) {
		ps, inline, err := readPlatforms(ctx, reg, ref)
		return platformResult{ps, inline}, err
	})
	return res.ps, res.inline, err
}

func readPlatforms(ctx context.Context, reg Registry, ref name.Digest) ([]ledger.Platform, map[string]bool, error) {
	m, err := reg.Manifest(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	ps, err := oci.Platforms(m.Raw)
	if err != nil {
		return nil, nil, errkind.New(errkind.Remote, fmt.Errorf("reading index %s: %w", ref, err))
	}
	return ps, oci.InlineAttestations(m.Raw), nil
}

// WithInline is e with the BuildKit attestations the index raw holds for
// its images: a caller that read the index itself (promote) hands them
// over, so its ledger counts them as record's does.
func WithInline(e Entry, raw []byte) Entry {
	e.inline = oci.InlineAttestations(raw)
	return e
}

// attach reads, once per digest, what is attached to every recorded ref
// and each platform of an index (an index's inline BuildKit attestations
// count for the images they name), for the report and the ledger.
func attach(ctx context.Context, o Options, entries []Entry) error {
	var ds []name.Digest // AttachmentsOf reads each digest once
	inline := map[string]bool{}
	for _, e := range entries {
		if e.Verdict != Recorded {
			continue
		}
		t, err := refs.ParseTag(e.Ref)
		if err != nil {
			continue
		}
		for _, d := range append([]string{e.Digest}, platformDigests(e.Platforms)...) {
			ds = append(ds, t.Context().Digest(d))
		}
		for d := range e.inline {
			inline[d] = true
		}
	}
	found, err := o.Registry.AttachmentsOf(ctx, ds, inline)
	for i := range entries {
		e := &entries[i]
		if e.Verdict != Recorded {
			continue
		}
		t, perr := refs.ParseTag(e.Ref)
		if perr != nil {
			continue
		}
		if a, ok := found[oci.AttachedKey(t.Context().Digest(e.Digest))]; ok {
			e.Attached = a.Record()
		}
		for j := range e.Platforms {
			if a, ok := found[oci.AttachedKey(t.Context().Digest(e.Platforms[j].Digest))]; ok {
				e.Platforms[j].Attached = a.Record()
			}
		}
	}
	if err != nil {
		return fmt.Errorf("reading what is attached: %w", err)
	}
	return nil
}

func platformDigests(ps []ledger.Platform) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Digest
	}
	return out
}

// sourceOf takes the run context for the ledger's source, leaving out (and
// saying so) any value that would not validate: a local run or another CI
// may set GITHUB_* variables GitHub never would, and the ledger must still
// be written.
