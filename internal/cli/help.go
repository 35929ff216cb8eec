package cli

import (
	"fmt"
	"runtime"

	"github.com/tagguard/tagguard/internal/app"
	"github.com/tagguard/tagguard/internal/options"
)

// shortHelp is each command's line in the root's help.
var shortHelp = map[string]string{
	options.Check:   "Guard a publish (read-only)",
	options.Promote: "The guarded publish: write the tags of push-by-digest sources, read back, record",
	options.Record:  "Record pushed digests: outputs, ledger file, release notes",
	options.Restore: "Re-point tags at recorded digests (registry API calls only)",
	options.Audit:   "Are the recorded tags still where the ledgers say? (read-only)",
	options.PinCmd:  "The ledger on the deploy side: a compose override, kustomize images, a lock list; --verify gates a deploy",
}

var commandHelp = map[string]string{
	options.PinCmd: `Put a ledger to work where images are deployed. A compose override pins each
service whose image the ledger records as REPO:TAG@sha256:... (the tag kept
for readability; services the ledger does not record are named on stderr,
or pinned at their tag's digest now with --resolve); --format kustomize
writes a kustomize images: list (--rename OLD=NEW for a mirror); --format
list writes REPO:TAG@sha256:... lines. --verify checks a compose file
instead: exit 0 when every digest it pins is the ledger's and still exists,
1 when one differs or was pruned, 3 when it cannot tell. No Docker daemon;
compose files are loaded with compose-go, as docker compose loads them
(extends:, include:, every profile), ${VAR} in an image resolved from the
environment or refused.

Examples:
  tagguard pin --from-ledger ledger.json --compose compose.yml > compose.pinned.yml
  docker compose -f compose.yml -f compose.pinned.yml up -d
  tagguard pin --from-release v1.2.3 --format kustomize --rename ghcr.io/org=mirror.example.com/org
  tagguard pin --from-ledger ledger.json --verify --compose compose.yml --compose compose.pinned.yml \
    && docker compose -f compose.yml -f compose.pinned.yml up -d`,
	options.Check: `Guard a publish: block version tags that already exist, floating tags that
would move backwards, releases from an unexpected branch, and versions that
contradict the git tag. Read-only.

Examples:
  tagguard check --images ghcr.io/org/app:1.2.3,ghcr.io/org/app:latest
  tagguard check --images ghcr.io/org/app:1.2.3 --digest sha256:... --expected-base main --base main
  tagguard check --images "$TAGS" --expected-base 'main,release/*' --format json`,
	options.Audit: `Check, read-only, that every tag the ledgers recorded still points where the
newest record says: ok, drifted (another digest), missing (tag gone) or
unknown (not read); for a ref not ok, whether its recorded digest (and an
index's children) still exists: restorable, or unrestorable (rebuild from
source). One ledger recording a tag's mirrors at different digests is
inconsistent. --drift-file writes the drift ledger (the restorable refs not
ok) for restore --from-ledger.

Examples:
  tagguard audit --from-releases
  tagguard audit --from-ledger ledger-1.2.3.json --from-ledger ledger-1.2.4.json --tags '1.*'
  tagguard audit --from-releases --drift-file drift.json || [ $? -eq 1 ]; tagguard restore --from-ledger drift.json --dry-run`,
	options.Promote: `The guarded publish for push-by-digest builds: prove every source present,
publish one source as its exact bytes or several as one image index (one
entry per platform, always the same bytes for the same sources), judge the
tags with check's guards against that digest, write each tag (an immutable
one is read again right before its write), read every tag back, and record
them as record does. Nothing already right is written.

Examples:
  tagguard promote --sources ghcr.io/org/app@sha256:...,ghcr.io/org/app@sha256:... \
    --images ghcr.io/org/app:1.2.3,ghcr.io/org/app:latest --expected-base main --dry-run
  tagguard promote --sources "$DIGESTS" --images "$TAGS" --release-tag v1.2.3 --ledger-file ledger.json`,
	options.Record: `Record what was pushed: the digest behind every ref (and each platform of an
image index), as outputs, a ledger file and a section of the GitHub release
notes. Fails when a tag points elsewhere than --digest (overwritten after the
push).

Examples:
  tagguard record --images ghcr.io/org/app:1.2.3,ghcr.io/org/app:latest --ledger-file ledger.json
  tagguard record --images "$TAGS" --digest "$DIGEST" --release-tag v1.2.3`,
	options.Restore: `Re-point tags at recorded digests, byte for byte, with registry API calls
alone. From ledgers (--from-release, --from-ledger, repeatable: a ref two
record is the newest record's) or from --pin, not both. Every
target digest must still be in its repository before anything is written;
tags already at their target are never written; every write is read back.

Examples:
  tagguard restore --from-ledger ledger.json --dry-run
  tagguard restore --from-release v0.15.0 --tags '0.15.*'
  tagguard restore --pin ghcr.io/org/app:0.15.0@sha256:...`,
}

// versionLine is the version tagguard was built as, the commit and the Go
// version.
func versionLine() string {
	return fmt.Sprintf("%s (commit %s, %s)", app.Version(), app.Commit(), runtime.Version())
}
