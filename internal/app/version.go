package app

import "runtime/debug"

// version is stamped by the release build (-ldflags -X …/internal/app.version=1.2.3):
// the image is built without .git, so the module version is not known to Go.
// It and commit are the variables the linker writes; nothing else sets them.
var version string

// commit is stamped like version (-X …/internal/app.commit=<sha>) where the
// build has no .git for Go to read it from (the image, the release binaries).
var commit string

// Commit is the commit tagguard was built from: stamped, else Go's build
// info (vcs.revision, "+modified" for a dirty tree), else "unknown".
func Commit() string {
	if commit != "" {
		return commit
	}
	rev, dirty := "unknown", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision":
				rev = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				dirty = "+modified"
			}
		}
	}
	return rev + dirty
}

// Version is the version tagguard was built as, or "dev".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
