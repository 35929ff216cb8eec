// Package registry is the only code in tagguard that speaks to OCI
// registries. It stands on go-containerregistry and adds what a release guard
// needs around it: HEAD-first digests with a GET fallback, manifests hashed
// and bounded, bounded concurrency, retries that honour Retry-After within
// --timeout, and plain HTTP only where the operator allowed it. It parses
// no reference: refs does, and home.go re-homes what it is handed.
package registry
