package promote

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/fixture"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/regtest"
	"github.com/tagguard/tagguard/internal/report"
)

// TestPromoteCarriesWhatIsAttached: a cross-registry
// promote of a signed, attested source copies its legacy signature tag and
// its referrers along (the target, the distribution registry, has no
// referrers API: the fallback tag is written), the plan shows them, and a
// re-run copies nothing. A merged index is new bytes: the report says so.
func TestPromoteCarriesWhatIsAttached(t *testing.T) {
	t.Parallel()
	build, target := regtest.Distribution(t), regtest.Distribution(t)
	src := pushByDigest(t, build.Host+"/ci/app", "linux/amd64")
	regtest.SignLegacy(t, src, ".sig")
	regtest.Refer(t, src, regtest.InToto)
	o := Options{Sources: []string{src}, Images: []string{target.Ref("org/app:1.0.0")}, Registry: fixture.Client(t), Run: command.Run{Jobs: 4}, Referrers: true}
	r, err := report.Run(context.Background(), NewPlan, o, false)
	if err != nil {
		t.Fatalf("%v\n%+v", err, r)
	}
	d := src[strings.Index(src, "@")+1:]
	if got := oci.FromRecord(r.Published.Attached).String(); got != "signed (legacy tag); attested (fallback tag)" {
		t.Errorf("published attached: %q", got)
	}
	c := fixture.Client(t)
	moved, err := c.Attachments(context.Background(), digestRef(t, target.Ref("org/app"), d))
	if err != nil || moved.String() != "signed (legacy tag); attested (fallback tag)" {
		t.Errorf("in the target: %q (%v): want the signature tag and the referrer carried", moved, err)
	}
	again, err := report.Run(context.Background(), NewPlan, o, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, cp := range again.Copies {
		if !strings.Contains(cp, "already present") && !strings.Contains(cp, ": 0 written") {
			t.Errorf("the re-run copied: %s", cp)
		}
	}

	// Two signed sources merged: the index is new and unsigned, and the
	// report says so.
	arm := pushByDigest(t, build.Host+"/ci/app", "linux/arm64")
	regtest.SignLegacy(t, arm, ".sig")
	o.Sources, o.Images = []string{src, arm}, []string{target.Ref("org/app:2.0.0")}
	p, err := NewPlan(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	_ = p.Report().WriteText(&text)
	if !strings.Contains(text.String(), "the index is new bytes: nothing signs it yet") {
		t.Errorf("no word that the merged index is unsigned:\n%s", text.String())
	}
}

func digestRef(t *testing.T, repo, d string) name.Digest {
	t.Helper()
	ref, err := name.NewDigest(repo + "@" + d)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// TestRerunRepairsWhatIsAttached: a promote re-run whose tags are already
// right still compares what is attached at the source and the target and
// carries what is missing: a signature the target lost since (a cleanup
// policy), and an attestation the source gained. Its ledger records the
// target as it is after the repair, never the loss.
func TestRerunRepairsWhatIsAttached(t *testing.T) {
	t.Parallel()
	build, target := regtest.Distribution(t), regtest.Distribution(t, regtest.WithDelete())
	src := pushByDigest(t, build.Host+"/ci/app", "linux/amd64")
	regtest.SignLegacy(t, src, ".sig")
	o := Options{Sources: []string{src}, Images: []string{target.Ref("org/app:1.0.0")}, Registry: fixture.Client(t), Run: command.Run{Jobs: 4}, Referrers: true}
	if r, err := report.Run(context.Background(), NewPlan, o, false); err != nil {
		t.Fatalf("%v\n%+v", err, r)
	}
	d := src[strings.Index(src, "@")+1:]
	at := func() oci.Attached {
		a, err := fixture.Client(t).Attachments(context.Background(), digestRef(t, target.Ref("org/app"), d))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	sig := at().Manifests[0].Digest
	if err := remote.Delete(digestRef(t, target.Ref("org/app"), sig.DigestStr())); err != nil {
		t.Fatal(err)
	}
	if got := at().String(); got != "nothing attached" {
		t.Fatalf("after the delete: %q", got)
	}
	regtest.Refer(t, src, regtest.InToto)
	r, err := report.Run(context.Background(), NewPlan, o, false)
	if err != nil {
		t.Fatalf("%v\n%+v", err, r)
	}
	if got := at().String(); got != "signed (legacy tag); attested (fallback tag)" {
		t.Errorf("after the re-run, in the target: %q; want the lost signature and the new attestation carried", got)
	}
	if r.Record == nil || oci.FromRecord(r.Record.Images[0].Attached).String() != "signed (legacy tag); attested (fallback tag)" {
		t.Errorf("the re-run's ledger: %+v", r.Record)
	}
}

// TestPromoteCarriesSignaturesOfAttestationManifests: cosign sign
// --recursive signs an index's BuildKit attestation manifests too; a
// cross-registry promote of that index carries their signatures along
// with the platform image's.
func TestPromoteCarriesSignaturesOfAttestationManifests(t *testing.T) {
	t.Parallel()
	build, target := regtest.InProcess(t), regtest.Distribution(t)
	repo := build.Host + "/ci/app"
	ref, imgDigest, attDigest := pushBuildxIndex(t, repo)
	d, _ := v1.NewHash(ref.DigestStr())
	for _, sub := range []v1.Hash{d, imgDigest, attDigest} {
		regtest.SignLegacy(t, repo+"@"+sub.String(), ".sig")
	}
	o := Options{Sources: []string{ref.String()}, Images: []string{target.Ref("org/app:1.0.0")}, Registry: fixture.Client(t), Run: command.Run{Jobs: 4}, Referrers: true}
	if r, err := report.Run(context.Background(), NewPlan, o, false); err != nil {
		t.Fatalf("%v\n%+v", err, r)
	}
	for _, sub := range []v1.Hash{d, imgDigest, attDigest} {
		a, err := fixture.Client(t).Attachments(context.Background(), digestRef(t, target.Ref("org/app"), sub.String()))
		if err != nil || a.String() != "signed (legacy tag)" {
			t.Errorf("%s in the target: %q (%v); want its signature carried", sub, a, err)
		}
	}
}

// TestPlanNamesReferrersListedButGone: an attestation deleted by digest
// stays listed in the source's fallback tag; the plan names it as
// listed but gone, as the guide promises, and does not count it.
func TestPlanNamesReferrersListedButGone(t *testing.T) {
	t.Parallel()
	build, target := regtest.Distribution(t, regtest.WithDelete()), regtest.Distribution(t)
	src := pushByDigest(t, build.Host+"/ci/app", "linux/amd64")
	att := regtest.Refer(t, src, regtest.InToto)
	if err := remote.Delete(digestRef(t, build.Host+"/ci/app", att.String())); err != nil {
		t.Fatal(err)
	}
	o := Options{Sources: []string{src}, Images: []string{target.Ref("org/app:1.0.0")}, Registry: fixture.Client(t), Run: command.Run{Jobs: 4}, Referrers: true}
	p, err := NewPlan(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	_ = p.Report().WriteText(&text)
	if !strings.Contains(text.String(), "nothing attached; 1 listed but gone ("+att.String()+")") {
		t.Errorf("the plan does not name the referrer listed but gone:\n%s", text.String())
	}
}
