// Package options is the one table of tagguard's options. The CLI builds its
// flags from it and the action adapter reads INPUT_<NAME> variables from it,
// so a flag and an action input can never mean different things; a test holds
// action.yml to the same table.
package options

import (
	"slices"
)

// Type is how an option's value is read.
type Type int

// The option types.
const (
	String   Type = iota
	Bool          // true/false; a bare --flag means true
	Int           // a whole number
	Duration      // a Go duration such as 90s or 5m
	List          // newline- or comma-separated values; a repeated flag appends
)

// Option is one row of the table: a flag and the action input of the same name.
type Option struct {
	Name    string // flag and input name, e.g. "expected-base"
	Type    Type   // how the value is parsed
	Default string // the default in Go, so a run without action.yml has it too
	Usage   string // one line for --help and action.yml
	// Usages, where set, is the line a command's --help shows instead of
	// Usage: each command's help says only what is true for it.
	Usages   map[string]string
	Short    string   // a one-letter flag, as -v for --verbose
	Commands []string // the commands that take it; nil means every command
	Secret   bool     // masked before anything is printed
	// Lines splits a List on newlines alone: its items may hold a comma
	// (a secret, a file path). Repeat the flag, or give one per line.
	Lines bool
	// Env names environment variables read, in order, when the option is not
	// given; they are how GitHub's own variables reach a CLI run.
	Env []string
}

// Commands that take options, in the order --help lists them.
const (
	Audit   = "audit"
	Check   = "check"
	Promote = "promote"
	Record  = "record"
	Restore = "restore"
	PinCmd  = "pin"
)

// Commands lists the commands that take options, in order.
var Commands = []string{Audit, Check, PinCmd, Promote, Record, Restore}

// The names of the options. Call sites use these, never a string of their
// own: a typo is then a compile error, not an option that reads as empty.
const (
	DryRun           = "dry-run"
	Format           = "format"
	Jobs             = "jobs"
	Timeout          = "timeout"
	InsecureRegistry = "insecure-registry"
	RegistryAuth     = "registry-auth"
	GitHubToken      = "github-token"
	Images           = "images"
	Digest           = "digest"
	Version          = "version"
	ImmutableTags    = "immutable-tags"
	MutableTags      = "mutable-tags"
	ExpectedBase     = "expected-base"
	Base             = "base"
	RequireBase      = "require-base"
	Metadata         = "metadata"
	ReleaseTag       = "release-tag"
	LedgerFile       = "ledger-file"
	CreateRelease    = "create-release"
	FromRelease      = "from-release"
	FromLedger       = "from-ledger"
	Pin              = "pin"
	Tags             = "tags"
	Sources          = "sources"
	SourcesFile      = "sources-file"
	ImagesFile       = "images-file"
	FromReleases     = "from-releases"
	AllowBackward    = "allow-backward"
	Verbose          = "verbose"
	Quiet            = "quiet"
	DriftFile        = "drift-file"
	UndoFile         = "undo-file"
	Referrers        = "referrers"
	ComposeFile      = "compose"
	Output           = "output"
	Rename           = "rename"
	Resolve          = "resolve"
	AllowPartial     = "allow-partial"
	Verify           = "verify"

	SignatureKey         = "signature-key"
	CertIdentity         = "certificate-identity"
	CertIdentityRegexp   = "certificate-identity-regexp"
	CertOIDCIssuer       = "certificate-oidc-issuer"
	CertOIDCIssuerRegexp = "certificate-oidc-issuer-regexp"
	TrustedRoot          = "trusted-root"
	InsecureIgnoreTlog   = "insecure-ignore-tlog"
)

// gated are the commands the signature gate guards.
var gated = []string{Audit, Check, PinCmd, Promote, Restore}

// Table returns every option, common ones first.
func Table() []Option {
	return []Option{
		{Name: DryRun, Type: Bool, Default: "false", Commands: []string{Promote, Record, Restore}, Usage: "read only: plan and report, write nothing to a registry or GitHub"},
		{Name: Format, Type: String, Default: "text", Usage: "report format on stdout: text or json; for pin also compose, kustomize or list (what it writes)"},
		{Name: Jobs, Type: Int, Default: "8", Usage: "registry requests in flight at once"},
		{Name: Timeout, Type: Duration, Default: "5m", Usage: "bound on the whole run, retries included"},
		{Name: InsecureRegistry, Type: List, Usage: "hosts allowed over plain HTTP (loopback is always allowed; every other host is HTTPS only)"},
		{Name: RegistryAuth, Type: List, Lines: true, Secret: true, Env: []string{"TAGGUARD_REGISTRY_AUTH"}, Usage: "registry credentials, HOST=USER:SECRET, one per line (or repeat the flag); also read: DOCKER_CONFIG or ~/.docker/config.json"},
		{Name: GitHubToken, Type: String, Secret: true, Env: []string{"GITHUB_TOKEN"}, Usage: "token for GitHub API calls (release notes, compare); GITHUB_API_URL is honoured"},
		{Name: Verbose, Short: "v", Type: Bool, Default: "false", Usage: "on stderr: where each host's credentials came from, every request (method, URL, status, time) and every retry; secrets masked"},
		{Name: Quiet, Short: "q", Type: Bool, Default: "false", Usage: "no progress line on stderr"},

		{Name: Sources, Type: List, Commands: []string{Promote}, Usage: "the digests the build pushed, REPO@sha256:..., newline- or comma-separated: one is published as its exact bytes, several are merged into one image index, one entry per platform"},
		{Name: SourcesFile, Type: String, Commands: []string{Promote}, Usage: "a file of --sources, one REPO@sha256:... a line (# comments; - for standard input): for lists too long for one value"},
		{Name: ImagesFile, Type: String, Commands: []string{Check, Promote, Record}, Usage: "a file of --images, one REPO:TAG a line (# comments; - for standard input): for lists too long for one value (Linux caps one argument or variable at 128 KiB)"},
		{Name: Images, Type: List, Commands: []string{Check, Promote, Record}, Usage: "image references, REPO:TAG, newline- or comma-separated (docker/metadata-action's tags output fits as is)", Usages: map[string]string{
			Check:   "the tags about to be published, REPO:TAG, newline- or comma-separated (docker/metadata-action's tags output fits as is)",
			Promote: "the tags to write, REPO:TAG, newline- or comma-separated (docker/metadata-action's tags output fits as is)",
			Record:  "the tags pushed, REPO:TAG, newline- or comma-separated (docker/metadata-action's tags output fits as is)",
		}},
		{Name: Digest, Type: String, Commands: []string{Check, Record}, Usage: "the digest being published (sha256:...; build-push-action's digest output)", Usages: map[string]string{
			Check:  "the digest the build produced (sha256:...; build-push-action's digest output): an immutable tag already at it passes as a re-run",
			Record: "the digest the build pushed (sha256:...; build-push-action's digest output): a tag pointing elsewhere fails the record",
		}},
		{Name: Version, Type: String, Commands: []string{Check, Promote}, Usage: "the version being published; default: the semver tag among --images"},
		{Name: ImmutableTags, Type: List, Commands: []string{Check, Promote}, Usage: "globs of tags that must never be overwritten; replaces the default rule (complete semantic versions)"},
		{Name: MutableTags, Type: List, Commands: []string{Check, Promote}, Usage: "globs of tags exempt from the immutable rule"},
		{Name: ExpectedBase, Type: List, Commands: []string{Check, Promote}, Usage: "branch globs a release may come from, e.g. main, release/*"},
		{Name: Base, Type: String, Commands: []string{Check, Promote}, Usage: "the branch the release comes from; default: read from the GitHub event"},
		{Name: RequireBase, Type: Bool, Default: "true", Commands: []string{Check, Promote}, Usage: "block when the base branch cannot be determined (only with --expected-base)"},

		{Name: Metadata, Type: String, Commands: []string{Record}, Usage: "docker/build-push-action's metadata output (JSON): its containerimage.digest is the expected digest, its image.name the refs when --images is empty"},
		{Name: ReleaseTag, Type: String, Commands: []string{Promote, Record}, Usage: "GitHub release whose notes get the ledger; default: the tag of GITHUB_REF when it is refs/tags/*"},
		{Name: LedgerFile, Type: String, Commands: []string{Promote, Record}, Usage: "also write the ledger JSON to this file (e.g. for an artifact upload)"},
		{Name: CreateRelease, Type: Bool, Default: "false", Commands: []string{Promote, Record}, Usage: "create a draft release when --release-tag has none; without it, record says so and writes nothing to GitHub"},

		{Name: FromReleases, Type: Bool, Default: "false", Commands: []string{Audit}, Usage: "audit the ledgers of every release of the repository (all pages; drafts when the token sees them)"},
		{Name: FromRelease, Type: String, Commands: []string{Audit, PinCmd, Restore}, Usage: "the ledger in this GitHub release's notes (a tag such as v0.15.0)"},
		{Name: FromLedger, Type: List, Commands: []string{Audit, PinCmd, Restore}, Usage: "ledger files (record's --ledger-file, a restore's undo, an audit's drift); repeat the flag or separate with commas", Usages: map[string]string{
			PinCmd:  "ledger files to pin from (record's --ledger-file; a release of several images has one each); repeat the flag: a ref two record is the newest record's",
			Audit:   "ledger files to audit (record's --ledger-file, an audit's drift); repeat the flag or separate with commas",
			Restore: "ledger files to restore from (record's --ledger-file, a restore's undo file, an audit's drift file); repeat the flag: a ref two record is the newest record's",
		}},
		{Name: Pin, Type: List, Commands: []string{Restore}, Usage: "restore these: REPO:TAG@sha256:... points that tag at that digest; newline- or comma-separated"},
		{Name: Tags, Type: List, Commands: []string{Audit, Restore}, Usage: "globs of tag names to restore or audit (e.g. 0.15.*), or of whole references when one holds / (ghcr.io/org/app:*); default: every tag of the source", Usages: map[string]string{
			Audit:   "globs of tag names to audit (e.g. 0.15.*), or of whole references when one holds / (ghcr.io/org/app:*); default: every recorded tag",
			Restore: "globs of tag names to restore (e.g. 0.15.*), or of whole references when one holds / (ghcr.io/org/app:* leaves a pruned mirror out); default: every tag of the source",
		}},
		{Name: Referrers, Type: Bool, Default: "true", Commands: []string{Audit, Promote, Record, Restore}, Usage: "read what is attached to each digest (signatures, attestations, SBOMs: cosign's legacy tags, the referrers API or its fallback tag, inline BuildKit attestations); =false skips those reads"},
		{Name: ComposeFile, Type: List, Commands: []string{PinCmd}, Usage: "compose files (repeat, as docker compose -f): pin each service whose image the ledger records; with --verify, the files to check"},
		{Name: Output, Type: String, Commands: []string{PinCmd}, Usage: "write the override, kustomize list or lock list to this file instead of stdout"},
		{Name: Rename, Type: List, Commands: []string{PinCmd}, Usage: "OLD=NEW: a registry or repository prefix and its mirror, as kustomize's newName"},
		{Name: Resolve, Type: Bool, Default: "false", Commands: []string{PinCmd}, Usage: "pin a service whose image the ledger does not record at its tag's digest now (one HEAD each); without it such a service is left out and named on stderr"},
		{Name: AllowPartial, Type: Bool, Default: "false", Commands: []string{PinCmd}, Usage: "write a compose override that leaves out a service running a recorded repository, or pins nothing (without it, exit 1 and nothing written)"},
		{Name: Verify, Type: Bool, Default: "false", Commands: []string{PinCmd}, Usage: "check instead of write: exit 0 when every digest the compose files pin is the ledger's and still exists, 1 when one differs or was pruned, 3 when it cannot tell"},
		{Name: DriftFile, Type: String, Commands: []string{Audit}, Usage: "also write the drift ledger (the restorable refs not ok) to this file: restore --from-ledger takes it"},
		{Name: UndoFile, Type: String, Commands: []string{Restore}, Usage: "also write the undo ledger (the tags' previous digests) to this file: restore --from-ledger takes it to reverse this restore"},
		{Name: SignatureKey, Type: List, Lines: true, Commands: gated, Usage: "the signature gate: PEM public key files (cosign.pub), one per line (or repeat the flag), a digest must carry a verified signature of; promote, check --digest, restore and pin (writing or --verify) then refuse a digest none verifies for, audit reports it unverified"},
		{Name: CertIdentity, Type: String, Commands: gated, Usage: "the signature gate, keyless: the certificate identity a signature must carry (a workflow's https://github.com/OWNER/REPO/.github/workflows/FILE@REF); needs --certificate-oidc-issuer"},
		{Name: CertIdentityRegexp, Type: String, Commands: gated, Usage: "as --certificate-identity, a regular expression (Go syntax) the identity must match"},
		{Name: CertOIDCIssuer, Type: String, Commands: gated, Usage: "the OIDC issuer of the keyless identity (GitHub Actions: https://token.actions.githubusercontent.com)"},
		{Name: CertOIDCIssuerRegexp, Type: String, Commands: gated, Usage: "as --certificate-oidc-issuer, a regular expression the issuer must match"},
		{Name: TrustedRoot, Type: String, Commands: gated, Usage: "a Sigstore trusted_root.json to verify against (a private instance, or offline); default: the public-good instance's, through sigstore-go's TUF client, cached in ~/.sigstore"},
		{Name: InsecureIgnoreTlog, Type: Bool, Default: "false", Commands: gated, Usage: "pass a key-signed signature that has no transparency-log entry (cosign sign --tlog-upload=false); a keyless one still needs a timestamp"},
		{Name: AllowBackward, Type: Bool, Default: "false", Commands: []string{Restore}, Usage: "move a floating tag (latest, 1, 1.2) back even when a newer release has moved it forward since it was recorded (rolling latest back on purpose); without it such a tag is left where it is"},
	}
}

// UsageFor is the help line of o for command.
func (o Option) UsageFor(command string) string {
	if u, ok := o.Usages[command]; ok {
		return u
	}
	return o.Usage
}

// For returns the options command takes, in table order.
func For(command string) []Option {
	var out []Option
	for _, o := range Table() {
		if o.Commands == nil || slices.Contains(o.Commands, command) {
			out = append(out, o)
		}
	}
	return out
}
