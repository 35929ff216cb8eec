package main

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tagguard/tagguard/internal/regtest"
)

func TestMain(m *testing.M) {
	// The runner-contract test executes this test binary as the action's
	// entrypoint, with the bare environment a container action gets.
	if os.Getenv("TAGGUARD_TEST_AS_BINARY") == "1" {
		os.Exit(realMain())
	}
	testscript.Main(m, map[string]func(){
		"tagguard": func() { os.Exit(realMain()) },
	})
}

// TestScripts runs the testdata/script/*.txtar end-to-end tests: the real
// binary against the real distribution registry, with htpasswd auth. The
// registry is seeded once; scripts only read it (check) or use repositories
// of their own.
func TestScripts(t *testing.T) {
	reg := regtest.Distribution(t, regtest.WithHtpasswd(regtest.User, regtest.Password))
	p := reg.Pusher()
	d015 := p.PushIndex(t, reg.Ref("org/app:0.15.0"))
	p.Tag(t, reg.Ref("org/app:0.15.0"), reg.Ref("org/app:latest"))
	for _, tag := range []string{"1.3.0", "1.4.8", "2.0.0"} {
		p.PushImage(t, reg.Ref("org/lines:"+tag))
	}
	p.Tag(t, reg.Ref("org/lines:2.0.0"), reg.Ref("org/lines:latest"))
	chain := p.PushImage(t, reg.Ref("org/chain:1.0.0"))
	p.PushImage(t, reg.Ref("org/chain:1.0.0")) // moved by hand since

	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("REGISTRY", reg.Host)
			env.Setenv("AUTH", reg.Host+"="+regtest.User+":"+regtest.Password)
			env.Setenv("PASSWORD", regtest.Password)
			env.Setenv("DIGEST_015", d015.String())
			env.Setenv("DIGEST_CHAIN", chain.String())
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits": exits,
		},
	})
}

// exits runs a command and insists on its exact exit code:
//
//	exits 1 tagguard check ...
func exits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}
