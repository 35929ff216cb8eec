package action

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// echoingRegistry asks for a bearer token at a realm on localhost. The
// realm either refuses with 400 and echoes the request's Authorization
// header, or issues token, which the registry then echoes
// back in a 500 on every manifest request.
func echoingRegistry(t *testing.T, token string) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
		switch {
		case r.URL.Path == "/token" && token == "":
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"errors":[{"code":"DENIED","message":"bad request","detail":"Authorization: %s"}]}`, r.Header.Get("Authorization"))
		case r.URL.Path == "/token":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"token":%q,"access_token":%q,"expires_in":300}`, token, token)
		case r.Header.Get("Authorization") == "":
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="http://localhost:%s/token",service="registry",scope="repository:org/app:pull"`, port))
			w.WriteHeader(http.StatusUnauthorized)
		default:
			w.WriteHeader(http.StatusBadRequest)
			auth := r.Header.Get("Authorization")
			_, bare, _ := strings.Cut(auth, " ")
			fmt.Fprintf(w, `{"errors":[{"code":"UNSUPPORTED","message":"echo","detail":"you sent %s, that is %s"}]}`, auth, bare)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestNoEncodingOfASecretLeaks runs the action against registries that
// echo credentials and checks every place the runner shows: the log
// (stdout, stderr), the outputs and the job summary. Only the runner's own
// ::add-mask:: lines may hold a secret.
func TestNoEncodingOfASecretLeaks(t *testing.T) {
	t.Parallel()
	const user, secret = "robot", "s3cr3t-Pa55word"
	pair := []byte(user + ":" + secret)
	for name, token := range map[string]string{
		"token endpoint echoes Basic":  "",
		"registry echoes bearer token": "eyJhbGciOiJFUzI1NiJ9.issued-token-0123456789.sig",
		// A short token is masked too, where it stands whole (and not
		// announced to the runner, which would mask it everywhere).
		"registry echoes a short token": "Sh0rtT0ken12",
	} {
		srv := echoingRegistry(t, token)
		host := strings.TrimPrefix(srv.URL, "http://")
		dir := t.TempDir()
		env := map[string]string{
			"GITHUB_ACTIONS":          "true",
			"INPUT_MODE":              "check",
			"INPUT_IMAGES":            host + "/org/app:1.0.0",
			"INPUT_REGISTRY-AUTH":     host + "=" + user + ":" + secret,
			"INPUT_TIMEOUT":           "20s",
			"GITHUB_OUTPUT":           filepath.Join(dir, "output"),
			"GITHUB_STEP_SUMMARY":     filepath.Join(dir, "summary"),
			"DOCKER_CONFIG":           dir,
			"GITHUB_REPOSITORY":       "org/app",
			"GITHUB_EVENT_NAME":       "workflow_dispatch",
			"GITHUB_REF":              "refs/heads/main",
			"GITHUB_REF_NAME":         "main",
			"GITHUB_WORKSPACE":        dir,
			"RUNNER_TEMP":             dir,
			"GITHUB_SERVER_URL":       "https://github.com",
			"GITHUB_RUN_ID":           "1",
			"GITHUB_REPOSITORY_OWNER": "org",
		}
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), &stdout, &stderr, func(k string) string { return env[k] })
		if code != 3 {
			t.Errorf("%s: exit %d, want 3\n%s%s", name, code, stdout.String(), stderr.String())
		}
		out, _ := os.ReadFile(env["GITHUB_OUTPUT"])
		summary, _ := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
		leaks := []string{secret}
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			leaks = append(leaks, enc.EncodeToString(pair))
		}
		if token != "" {
			leaks = append(leaks, token)
		}
		for where, text := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String(), "outputs": string(out), "summary": string(summary)} {
			for _, line := range strings.Split(text, "\n") {
				if strings.HasPrefix(line, "::add-mask::") {
					continue
				}
				for _, l := range leaks {
					if strings.Contains(line, l) {
						t.Errorf("%s: %s leaks %q in line %q", name, where, l, line)
					}
				}
			}
		}
		if len(token) >= 16 && !strings.Contains(stdout.String(), "::add-mask::"+token) {
			t.Errorf("%s: the issued token was not masked for the runner", name)
		}
	}
}
