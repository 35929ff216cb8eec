// Package action is tagguard's GitHub Actions adapter: it reads the inputs
// the runner passes a container action (INPUT_<NAME>, hyphens kept), runs
// the same command path as the CLI, and turns the report into outputs, a
// job summary and annotations, masking every secret first.
package action
