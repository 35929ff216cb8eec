package regtest

import (
	"net/http"
	"strings"
	"sync"
)

// Kind classifies a registry request by what it does, so that tests can count
// and fault requests without matching URLs themselves.
type Kind int

// The kinds of registry request. Manifest requests are split by method because
// HEAD versus GET is what tests care about (HEAD for existence and digests, GET
// only to read a manifest).
const (
	KindOther          Kind = iota // anything not listed below
	KindPing                       // GET or HEAD /v2/
	KindManifestHead               // HEAD /v2/<name>/manifests/<ref>
	KindManifestGet                // GET /v2/<name>/manifests/<ref>
	KindManifestPut                // PUT /v2/<name>/manifests/<ref>
	KindManifestDelete             // DELETE /v2/<name>/manifests/<ref>
	KindTagsList                   // GET /v2/<name>/tags/list
	KindBlob                       // any method on /v2/<name>/blobs/..., uploads included
	KindToken                      // a token endpoint outside /v2/ (path ending in "token")
)

var kindNames = [...]string{
	KindOther:          "other",
	KindPing:           "ping",
	KindManifestHead:   "manifest HEAD",
	KindManifestGet:    "manifest GET",
	KindManifestPut:    "manifest PUT",
	KindManifestDelete: "manifest DELETE",
	KindTagsList:       "tags list",
	KindBlob:           "blob",
	KindToken:          "token",
}

// String names the kind for test failure messages.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "unknown"
	}
	return kindNames[k]
}

// Classify tells what kind of registry request r is.
func Classify(r *http.Request) Kind {
	p := r.URL.Path
	if p == "/v2/" || p == "/v2" {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			return KindPing
		}
		return KindOther
	}
	if !strings.HasPrefix(p, "/v2/") {
		if strings.HasSuffix(strings.TrimSuffix(p, "/"), "token") {
			return KindToken
		}
		return KindOther
	}
	elems := strings.Split(strings.TrimSuffix(strings.TrimPrefix(p, "/v2/"), "/"), "/")
	n := len(elems)
	switch {
	case n >= 3 && elems[n-2] == "manifests":
		switch r.Method {
		case http.MethodHead:
			return KindManifestHead
		case http.MethodGet:
			return KindManifestGet
		case http.MethodPut:
			return KindManifestPut
		case http.MethodDelete:
			return KindManifestDelete
		}
	case n >= 3 && elems[n-2] == "tags" && elems[n-1] == "list":
		return KindTagsList
	case n >= 2 && elems[n-1] == "uploads" && elems[n-2] == "blobs":
		return KindBlob // POST /v2/<name>/blobs/uploads/ starts an upload
	case n >= 3 && (elems[n-2] == "blobs" || (elems[n-2] == "uploads" && elems[n-3] == "blobs")):
		return KindBlob
	}
	return KindOther
}

// Counts is a snapshot of how many requests of each kind a server or proxy
// received. Compare it whole with go-cmp, or read single fields.
type Counts struct {
	Ping           int
	ManifestHead   int
	ManifestGet    int
	ManifestPut    int
	ManifestDelete int
	TagsList       int
	Blob           int
	Token          int
	Other          int
}

// Total is the number of requests of all kinds.
func (c Counts) Total() int {
	return c.Ping + c.ManifestHead + c.ManifestGet + c.ManifestPut +
		c.ManifestDelete + c.TagsList + c.Blob + c.Token + c.Other
}

// Plus is c and o counted together (requests to several registries).
func (c Counts) Plus(o Counts) Counts {
	for k := KindOther; k <= KindToken; k++ {
		*c.field(k) += o.Of(k)
	}
	return c
}

// Of returns the count for one kind.
func (c Counts) Of(k Kind) int {
	if f := c.field(k); f != nil {
		return *f
	}
	return 0
}

func (c *Counts) field(k Kind) *int {
	switch k {
	case KindPing:
		return &c.Ping
	case KindManifestHead:
		return &c.ManifestHead
	case KindManifestGet:
		return &c.ManifestGet
	case KindManifestPut:
		return &c.ManifestPut
	case KindManifestDelete:
		return &c.ManifestDelete
	case KindTagsList:
		return &c.TagsList
	case KindBlob:
		return &c.Blob
	case KindToken:
		return &c.Token
	case KindOther:
		return &c.Other
	}
	return nil
}

// counter is a Counts shared between request goroutines.
type counter struct {
	mu   sync.Mutex
	c    Counts
	seen []string // "METHOD /path" of each request, in arrival order
}

// addRequest counts one request of kind k, remembers its method and path,
// and returns its 1-based position among the requests of that kind, which
// is what "fail the Nth" faults match on.
func (c *counter) addRequest(k Kind, request string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if request != "" {
		c.seen = append(c.seen, request)
	}
	f := c.c.field(k)
	if f == nil {
		f = &c.c.Other
	}
	*f++
	return *f
}

func (c *counter) requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.seen...)
}

func (c *counter) snapshot() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.c
}

func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.c = Counts{}
	c.seen = nil
}

// Duplicates returns each request (method and path) that arrived more than
// once since the last reset, with how often: the same question asked twice.
func (c *counter) duplicates() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := map[string]int{}
	for _, r := range c.seen {
		n[r]++
	}
	for r, k := range n {
		if k < 2 {
			delete(n, r)
		}
	}
	return n
}
