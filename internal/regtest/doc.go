// Package regtest is the test harness for code that speaks to container
// registries: an in-process registry (go-containerregistry's pkg/registry),
// the real CNCF distribution registry started from the docker-registry binary,
// helpers that seed them with tiny images and indexes, and a reverse proxy that
// counts requests and injects faults (errors, 429 with Retry-After, dropped
// connections).
//
// It is an ordinary package, not a _test one, so that the tests of every other
// package can import it. Nothing in it reaches beyond 127.0.0.1.
package regtest
