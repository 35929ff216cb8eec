package regtest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is a failure a FaultProxy injects instead of forwarding a request.
// A fault matches requests of one Kind by their 1-based position n among all
// requests of that kind the proxy received, faulted ones included. When
// several faults match a request, the first one given wins.
type Fault struct {
	kind Kind
	// serve may hand a request back to the proxy with forward.
	match func(n int) bool
	serve func(w http.ResponseWriter, r *http.Request)
	delay time.Duration // Latency: every request waits, then goes on
}

// Latency delays every request by d before it is faulted or forwarded: a
// registry far away, for benchmarks of a registry with no latency option
// of its own (the distribution registry).
func Latency(d time.Duration) Fault {
	return Fault{delay: d}
}

// FailNth answers the nth request of kind with status and body instead of
// forwarding it. A body starting with "{" is sent as application/json.
func FailNth(kind Kind, n, status int, body string) Fault {
	return Fault{
		kind:  kind,
		match: func(i int) bool { return i == n },
		serve: func(w http.ResponseWriter, _ *http.Request) { writeBody(w, status, body) },
	}
}

// FailManifestPut answers the nth manifest PUT with status and body, e.g. to
// break a restore half-way.
func FailManifestPut(n, status int, body string) Fault {
	return FailNth(KindManifestPut, n, status, body)
}

// UnavailableOnce answers the first request of kind with 503 Service
// Unavailable.
func UnavailableOnce(kind Kind) Fault {
	return FailNth(kind, 1, http.StatusServiceUnavailable,
		`{"errors":[{"code":"UNAVAILABLE","message":"injected by regtest"}]}`)
}

// RateLimit answers the first k requests of kind with 429 Too Many Requests
// and "Retry-After: <retryAfterSeconds>", as registries such as Docker Hub do.
func RateLimit(kind Kind, k, retryAfterSeconds int) Fault {
	return Fault{
		kind:  kind,
		match: func(i int) bool { return i <= k },
		serve: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
			writeBody(w, http.StatusTooManyRequests,
				`{"errors":[{"code":"TOOMANYREQUESTS","message":"rate limited by regtest"}]}`)
		},
	}
}

// DropConnection closes the connection of the nth request of kind without an
// answer (a TCP reset). Go's http.Transport silently retries an idempotent
// request (GET, HEAD) whose reused connection broke, so to make a client
// see the drop of a HEAD or GET, drop the retry as well (n and n+1).
func DropConnection(kind Kind, n int) Fault {
	return Fault{
		kind:  kind,
		match: func(i int) bool { return i == n },
		serve: hangUp,
	}
}

// HoldUntilGone holds the first request of kind sent with method, without
// an answer, until the client gives up on it (its context ends, the
// connection closes): an interruption in the middle of a blob stream. The
// request's path is sent on held as the hold starts.
func HoldUntilGone(kind Kind, method string, held chan<- string) Fault {
	var once sync.Once
	return Fault{
		kind:  kind,
		match: func(int) bool { return true },
		serve: func(w http.ResponseWriter, r *http.Request) {
			first := false
			if r.Method == method {
				once.Do(func() { first = true })
			}
			if !first {
				forward(w, r)
				return
			}
			held <- r.URL.Path
			// The server notices a closed connection only once the body
			// is read: reading it returns when the client hangs up.
			_, _ = io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
		},
	}
}

// DropMethod closes the connection of every request of kind sent with
// method, without an answer: a blob upload whose PATCH never gets through.
func DropMethod(kind Kind, method string) Fault {
	return Fault{
		kind:  kind,
		match: func(int) bool { return true },
		serve: func(w http.ResponseWriter, r *http.Request) {
			if r.Method != method {
				forward(w, r)
				return
			}
			hangUp(w, r)
		},
	}
}

// FailPath answers every request of kind whose path ends in suffix with
// status and body, and forwards the others: one tag that always fails (a
// fallback tag answering 500) while the tags beside it answer.
func FailPath(kind Kind, suffix string, status int, body string) Fault {
	return Fault{
		kind:  kind,
		match: func(int) bool { return true },
		serve: func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, suffix) {
				forward(w, r)
				return
			}
			writeBody(w, status, body)
		},
	}
}

func writeBody(w http.ResponseWriter, status int, body string) {
	if strings.HasPrefix(body, "{") {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// hangUp takes the connection from the server and resets it.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		writeBody(w, http.StatusInternalServerError, "regtest: connection cannot be hijacked")
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		writeBody(w, http.StatusInternalServerError, fmt.Sprintf("regtest: hijacking connection: %v", err))
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // close with RST, not FIN
	}
	_ = conn.Close()
}
