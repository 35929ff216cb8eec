// Package fanout is the one bounded fan-out every command uses: a function
// over many items, a fixed number at a time, results kept by index so the
// order of a report never depends on which request answered first.
package fanout

import (
	"context"
	"errors"
	"sync"
)

// Each calls fn(i) for every i in [0, n), at most limit calls at a time,
// starting them in index order. fn writes its result into the caller's
// slice at i; nothing else is shared. Once ctx is done no further call
// starts; calls already running are waited for, and Each returns the
// indexes that never started, in order (nil when every call ran). A limit
// below 1 means 1.
func Each(ctx context.Context, limit, n int, fn func(i int)) (notStarted []int) {
	slots := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	for i := range n {
		took := false
		if ctx.Err() == nil {
			select {
			case slots <- struct{}{}:
				took = true
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			// A slot taken in the same instant as the cancellation is
			// given back: no call starts after ctx is done.
			if took {
				<-slots
			}
			notStarted = append(notStarted, i)
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			fn(i)
		})
	}
	wg.Wait()
	return notStarted
}

// Interleave orders n items so that the first item of every group comes
// before the second of any: groups are taken round-robin, in order of first
// appearance, each group's items in their order. Given repositories as
// groups, the first requests of a fan-out reach every repository at once,
// so each one's ping and token exchange happen together at the start, not
// one by one as the workers reach each repository's first item.
func Interleave(n int, group func(i int) string) []int {
	var keys []string
	members := map[string][]int{}
	for i := range n {
		g := group(i)
		if _, ok := members[g]; !ok {
			keys = append(keys, g)
		}
		members[g] = append(members[g], i)
	}
	out := make([]int, 0, n)
	for round := 0; len(out) < n; round++ {
		for _, k := range keys {
			if round < len(members[k]) {
				out = append(out, members[k][round])
			}
		}
	}
	return out
}

// UntilError runs fn(ctx, i) for i in [0, n) as Each does, and stops
// starting calls at the first error, which also cancels the ctx the
// running calls were given. It returns every error joined, or, when none
// failed, the parent ctx's error if it ended.
func UntilError(ctx context.Context, limit, n int, fn func(ctx context.Context, i int) error) error {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, n)
	Each(cctx, limit, n, func(i int) {
		if errs[i] = fn(cctx, i); errs[i] != nil {
			cancel()
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ctx.Err()
}
