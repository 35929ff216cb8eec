package regtest

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestTokenServiceIsTrusted: the distribution registry in token mode takes
// a push with a pull+push grant, serves an anonymous pull of a public
// repository, and refuses a wrong password at the token service.
func TestTokenServiceIsTrusted(t *testing.T) {
	t.Parallel()
	ts := NewTokenService(t)
	ts.AddUser("writer", "writer-pass", []string{"pull", "push"}, "org/app")
	ts.Public("org/app")
	reg := Distribution(t, WithTokenAuth(ts))
	As("writer", "writer-pass").PushImage(t, reg.Ref("org/app:1.0.0"))
	if _, err := remote.Head(parseRef(t, reg.Ref("org/app:1.0.0"))); err != nil {
		t.Errorf("anonymous pull of a public repository: %v", err)
	}
	_, err := remote.Head(parseRef(t, reg.Ref("org/app:1.0.0")), remote.WithAuth(&authn.Basic{Username: "writer", Password: "wrong"}))
	if err == nil {
		t.Error("a wrong password was let in")
	}
	var refused, granted int
	for _, r := range ts.Requests() {
		if r.Refused {
			refused++
		}
		if len(r.Granted) > 0 {
			granted++
		}
	}
	if refused != 1 || granted < 2 {
		t.Errorf("token requests %+v: want one refused, the others granted", ts.Requests())
	}
}
