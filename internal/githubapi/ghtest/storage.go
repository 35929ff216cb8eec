package ghtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
)

// RedirectStorage makes the storage host answer every download with a
// redirect to url: a storage that sends a client on somewhere else.
func (s *Server) RedirectStorage(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.storageRedirect = url
}

// DownloadsWithCredentials counts asset downloads that reached the
// storage host with an Authorization header: a client must send none
// there (GitHub's storage is another host, reached through a redirect).
func (s *Server) DownloadsWithCredentials() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leakedAuth
}

// storageHandler is the host the download redirect names: it serves an
// asset's bytes to a request that carries no credentials, and refuses
// (and counts) one that does, as GitHub's storage refuses a second
// authentication mechanism.
func (s *Server) storageHandler(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.storageRedirect != "" {
		w.Header().Set("Location", s.storageRedirect)
		w.WriteHeader(http.StatusFound)
		return
	}
	if r.Header.Get("Authorization") != "" {
		s.leakedAuth++
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, "<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>")
		return
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, "/download/"), 10, 64)
	if err == nil {
		for _, rs := range s.repos {
			for _, rel := range rs.releases {
				for _, a := range rel.assets {
					if a.ID == id {
						w.Header().Set("Content-Type", a.ContentType)
						_, _ = w.Write(a.Data)
						return
					}
				}
			}
		}
	}
	w.WriteHeader(http.StatusNotFound)
}

func newStorage(s *Server) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(s.storageHandler))
}
