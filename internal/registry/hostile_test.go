package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/refs"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// liar is a registry that serves body for every manifest GET, under
// mediaType, announcing digest; it counts PUTs.
type liar struct {
	body, mediaType, digest string
	puts                    atomic.Int32
}

func (l *liar) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/v2/":
		w.WriteHeader(http.StatusOK)
	case strings.Contains(r.URL.Path, "/manifests/") && r.Method == http.MethodPut:
		l.puts.Add(1)
		w.WriteHeader(http.StatusCreated)
	case strings.Contains(r.URL.Path, "/manifests/"):
		w.Header().Set("Content-Type", l.mediaType)
		w.Header().Set("Docker-Content-Digest", l.digest)
		w.Header().Set("Content-Length", strconv.Itoa(len(l.body)))
		if r.Method == http.MethodGet {
			_, _ = w.Write([]byte(l.body))
		}
	default:
		http.NotFound(w, r)
	}
}

const ociImage = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}`

// TestBytesThatAreNotTheDigestAreRefused: a registry that
// answers a GET by digest with other bytes under the schema1 media type
// (go-containerregistry then trusts the header) is refused, and so is a
// read by tag whose body does not hash to the announced digest.
func TestBytesThatAreNotTheDigestAreRefused(t *testing.T) {
	t.Parallel()
	asked := sha([]byte(ociImage))
	other := strings.Replace(ociImage, `"layers":[]`, `"layers":[],"annotations":{"evil":"yes"}`, 1)
	for name, l := range map[string]*liar{
		"schema1 media type, other bytes, by digest": {body: other, mediaType: "application/vnd.docker.distribution.manifest.v1+prettyjws", digest: asked},
		"OCI media type, other bytes, by digest":     {body: other, mediaType: "application/vnd.oci.image.manifest.v1+json", digest: asked},
	} {
		srv := httptest.NewServer(l)
		c, _ := New(Config{Attempts: 1})
		host := strings.TrimPrefix(srv.URL, "http://")
		tag, _ := refs.ParseTag(host + "/org/app:1")
		_, err := c.Manifest(context.Background(), tag.Context().Digest(asked))
		if errkind.Of(err) != errkind.Remote || !strings.Contains(err.Error(), "refused") {
			t.Errorf("%s: err %v, want a refusal (exit 3)", name, err)
		}
		srv.Close()
	}

	// By tag: the body hashes to something else than the announced digest.
	l := &liar{body: other, mediaType: "application/vnd.oci.image.manifest.v1+json", digest: asked}
	srv := httptest.NewServer(l)
	defer srv.Close()
	c, _ := New(Config{Attempts: 1})
	tag, _ := refs.ParseTag(strings.TrimPrefix(srv.URL, "http://") + "/org/app:1")
	if _, err := c.Manifest(context.Background(), tag); err == nil || !strings.Contains(err.Error(), "announced "+asked) {
		t.Errorf("by tag: err %v, want the announced digest named", err)
	}
	// A truthful registry passes.
	l.body = ociImage
	if m, err := c.Manifest(context.Background(), tag); err != nil || m.Digest.String() != asked {
		t.Errorf("truthful: %v %v", m.Digest, err)
	}
}

// TestSchema1IsRefused: a true schema1 manifest is refused with a message
// that says why and what to do.
func TestSchema1IsRefused(t *testing.T) {
	t.Parallel()
	body := `{"schemaVersion":1,"name":"org/app","tag":"1","architecture":"amd64","fsLayers":[],"history":[]}`
	srv := httptest.NewServer(&liar{body: body, mediaType: "application/vnd.docker.distribution.manifest.v1+json", digest: sha([]byte(body))})
	defer srv.Close()
	c, _ := New(Config{Attempts: 1})
	tag, _ := refs.ParseTag(strings.TrimPrefix(srv.URL, "http://") + "/org/app:1")
	_, err := c.Manifest(context.Background(), tag.Context().Digest(sha([]byte(body))))
	if errkind.Of(err) != errkind.Remote || !strings.Contains(err.Error(), "schema1 manifests are not supported") {
		t.Errorf("err %v", err)
	}
}
