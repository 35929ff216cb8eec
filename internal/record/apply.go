package record

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/report"
)

// maxBody is GitHub's limit on a release body, in characters.
const maxBody = 125000

// editAttempts bounds the read-merge-write rounds when another record step
// edits the same notes at the same time; retryAttempts bounds the writes
// GitHub refused for now (a secondary rate limit, a 5xx).
const (
	editAttempts  = 3
	retryAttempts = 5
)

// Apply writes the ledger file, then the release notes, and reads the notes
// back. The report says which writes happened.
func (p *Plan) Apply(ctx context.Context) (*Report, error) {
	r := p.Report()
	r.PlanOnly = false
	if r.Blocked {
		return r, nil
	}
	if p.o.LedgerFile != "" {
		r.LedgerFile = &FileResult{Path: p.o.LedgerFile}
		if err := p.o.writeFile(p.o.LedgerFile, []byte(r.Outputs.Ledger+"\n")); err != nil {
			r.LedgerFile.Action = "failed: " + err.Error()
			return r, r.failed(errkind.New(errkind.BadInput, fmt.Errorf("writing ledger file %s: %w", p.o.LedgerFile, err)), "the ledger file could not be written")
		}
		r.LedgerFile.Action = "written"
	}
	if r.Release == nil || r.Release.skip {
		return r, nil
	}
	r.Release.Action, r.Release.Changes = "", nil
	if err := annotate(ctx, p.o, p.in, p.ledger, r.Release); err != nil {
		return r, r.failed(err, "the release notes were not written")
	}
	return r, nil
}

// failed gives the headline the verdict of err's exit code: a record whose
// refs were read but whose ledger did not land is never headlined OK.
func (r *Report) failed(err error, what string) error {
	verdict := "FAILED"
	if errkind.Of(err) == errkind.Blocked {
		verdict = "BLOCKED"
	}
	r.Summary = fmt.Sprintf("%s: read %s, but %s (the outputs hold the record)", verdict, report.Plural(len(r.Images), "ref"), what)
	return err
}

func (o Options) writeFile(path string, data []byte) error {
	if o.WriteFile != nil {
		return o.WriteFile(path, data)
	}
	return writeFileAtomic(path, data)
}

// createRelease makes a draft holding the ledger.
func createRelease(ctx context.Context, o Options, in input, l *ledger.Ledger, res *ReleaseResult) error {
	body, err := upsert(in, "", l, res)
	if err != nil {
		return err
	}
	rel, err := o.GitHub.CreateDraftRelease(ctx, in.owner, in.repo, in.releaseTag, body)
	if err != nil {
		res.Action = "failed: " + report.OneLine(err.Error())
		return errkind.New(errkind.Remote, err)
	}
	res.Action, res.URL = "created a draft release with the ledger", rel.HTMLURL
	return nil
}

// writeFileAtomic writes via a temporary file and a rename, so a reader (or
// an artifact upload) never sees half a ledger.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tagguard-ledger-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
