package action

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// basicEchoRegistry asks for Basic credentials, then answers every request
// that carries them with an error that echoes them back in the forms a
// careless registry or proxy might: the password, base64(user:password)
// without a "Basic " prefix, and the password and user:password percent-
// and form-encoded.
func basicEchoRegistry(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="echo"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodHead {
			// 200 without Docker-Content-Digest: tagguard GETs the body,
			// which is where the echo is.
			w.WriteHeader(http.StatusOK)
			return
		}
		pair := user + ":" + pass
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"errors":[{"code":"UNSUPPORTED","message":"you are %s","detail":"cred=%s q=%s path=%s pairq=%s wrapped=%s"}]}`,
			pass, base64.StdEncoding.EncodeToString([]byte(pair)), url.QueryEscape(pass), url.PathEscape(pass), url.QueryEscape(pair),
			base64.RawURLEncoding.EncodeToString([]byte("x"+pair)))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestDockerConfigCredentialsAreMasked:
// credentials that reach tagguard through DOCKER_CONFIG (auths, a
// credential helper, a credential store), never through an option, were
// printed when a registry echoed them. Each is now masked the moment it
// is resolved, announced to the runner, and absent from the log, the
// outputs and the summary in every encoding.
func TestDockerConfigCredentialsAreMasked(t *testing.T) {
	const user, secret = "robot", "S3cr3t/pw+d%x:y"
	pair := user + ":" + secret
	srv := basicEchoRegistry(t)
	host := strings.TrimPrefix(srv.URL, "http://")
	auth := base64.StdEncoding.EncodeToString([]byte(pair))
	helper := fmt.Sprintf("#!/bin/sh\ncat >/dev/null\nprintf '%%s' '{\"ServerURL\":\"%s\",\"Username\":\"%s\",\"Secret\":\"%s\"}'\n", host, user, secret)
	for name, config := range map[string]string{
		"auths":       fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, auth),
		"credHelpers": fmt.Sprintf(`{"credHelpers":{%q:"tgtest"}}`, host),
		"credsStore":  `{"credsStore":"tgtest"}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			if err := os.MkdirAll(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(bin, "docker-credential-tgtest"), []byte(helper), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv("DOCKER_CONFIG", dir)
			t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
			env := map[string]string{
				"GITHUB_ACTIONS":      "true",
				"INPUT_MODE":          "check",
				"INPUT_IMAGES":        host + "/org/app:1.0.0",
				"INPUT_TIMEOUT":       "20s",
				"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
				"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
				"GITHUB_REPOSITORY":   "org/app",
				"GITHUB_EVENT_NAME":   "workflow_dispatch",
				"GITHUB_REF":          "refs/heads/main",
				"GITHUB_REF_NAME":     "main",
				"GITHUB_WORKSPACE":    dir,
			}
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), &stdout, &stderr, func(k string) string { return env[k] })
			if code != 3 {
				t.Errorf("exit %d, want 3\n%s%s", code, stdout.String(), stderr.String())
			}
			out, _ := os.ReadFile(env["GITHUB_OUTPUT"])
			summary, _ := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
			leaks := []string{secret, url.QueryEscape(secret), url.PathEscape(secret), url.QueryEscape(pair), base64.RawURLEncoding.EncodeToString([]byte("x" + pair))}
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
				leaks = append(leaks, enc.EncodeToString([]byte(pair)))
			}
			for where, text := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String(), "outputs": string(out), "summary": string(summary)} {
				for _, line := range strings.Split(text, "\n") {
					if strings.HasPrefix(line, "::add-mask::") {
						continue
					}
					for _, l := range leaks {
						if strings.Contains(line, l) {
							t.Errorf("%s leaks %q in line %q", where, l, line)
						}
					}
				}
			}
			for _, announced := range []string{secret, url.QueryEscape(secret), auth} {
				// The runner's command data escapes %.
				if !strings.Contains(stdout.String(), "::add-mask::"+strings.ReplaceAll(announced, "%", "%25")+"\n") {
					t.Errorf("%q was not announced to the runner with ::add-mask::", announced)
				}
			}
			if !strings.Contains(stderr.String()+stdout.String(), "***") {
				t.Errorf("the echoed credential is not shown masked:\n%s%s", stdout.String(), stderr.String())
			}
		})
	}
}
