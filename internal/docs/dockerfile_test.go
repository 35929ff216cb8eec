package docs

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line int    // 1-based line of its first line
	cmd  string // upper-cased: FROM, RUN, COPY, ...
	args string
}

// stage is a build stage: its FROM and the instructions after it.
type stage struct {
	from   instruction
	image  string // the FROM image, e.g. scratch
	name   string // the AS name, if any
	instrs []instruction
}

// parseDockerfile splits a Dockerfile into stages. It joins lines ending in
// a backslash and drops comments (parser directives included), which is all
// the Dockerfile here uses: no heredocs, no escape directive.
func parseDockerfile(src string) []stage {
	var instrs []instruction
	var cur *instruction
	for i, line := range strings.Split(src, "\n") {
		if isBlankOrComment(line) {
			continue // comments and blank lines may sit inside a continuation too
		}
		text := strings.TrimSpace(line)
		more := strings.HasSuffix(text, `\`)
		text = strings.TrimSpace(strings.TrimSuffix(text, `\`))
		if cur == nil {
			cmd, args, _ := strings.Cut(text, " ")
			cur = &instruction{line: i + 1, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		} else {
			cur.args += " " + text
		}
		if !more {
			instrs = append(instrs, *cur)
			cur = nil
		}
	}
	var stages []stage
	for _, in := range instrs {
		if in.cmd == "FROM" {
			s := stage{from: in}
			var words []string
			for _, f := range strings.Fields(in.args) {
				if !strings.HasPrefix(f, "--") {
					words = append(words, f)
				}
			}
			if len(words) > 0 {
				s.image = words[0]
			}
			if len(words) == 3 && strings.EqualFold(words[1], "AS") {
				s.name = words[2]
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) > 0 {
			stages[len(stages)-1].instrs = append(stages[len(stages)-1].instrs, in)
		}
	}
	return stages
}

// find returns the stage's instructions of one kind.
func (s stage) find(cmd string) []instruction {
	var out []instruction
	for _, in := range s.instrs {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// copyArgs splits a COPY instruction into its --from stage, sources and
// destination.
func copyArgs(in instruction) (from string, srcs []string, dst string) {
	var words []string
	for _, f := range strings.Fields(in.args) {
		if v, ok := strings.CutPrefix(f, "--from="); ok {
			from = v
			continue
		}
		if !strings.HasPrefix(f, "--") {
			words = append(words, f)
		}
	}
	if len(words) < 2 {
		return from, nil, ""
	}
	return from, words[:len(words)-1], words[len(words)-1]
}

// copyOf returns the COPY --from instruction of s that writes dst, and the
// build stage it copies from.
func copyOf(t *testing.T, stages []stage, s stage, dst string) (instruction, stage) {
	t.Helper()
	for _, in := range s.find("COPY") {
		from, _, d := copyArgs(in)
		if d != dst || from == "" {
			continue
		}
		for _, b := range stages {
			if b.name == from {
				return in, b
			}
		}
		t.Fatalf("line %d: COPY --from=%s: no stage named %s", in.line, from, from)
	}
	t.Fatalf("final stage: no COPY --from=<build stage> ... %s", dst)
	return instruction{}, stage{}
}

func TestDockerfileFinalStage(t *testing.T) {
	t.Parallel()
	stages := parseDockerfile(readRepoFile(t, "Dockerfile"))
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a build stage and a final one", len(stages))
	}
	final := stages[len(stages)-1]
	if final.image != "scratch" && !strings.HasPrefix(final.image, "gcr.io/distroless/static") {
		t.Errorf("line %d: final stage is FROM %s, want scratch or gcr.io/distroless/static", final.from.line, final.image)
	}
	// The runner starts a container action as root with its own --workdir:
	// a USER breaks writes to the mounted workspace and file commands.
	for _, cmd := range []string{"USER", "WORKDIR"} {
		for _, in := range final.find(cmd) {
			t.Errorf("line %d: %s in the final stage; the runner needs root and sets the workdir itself", in.line, cmd)
		}
	}
	// With no arguments inside Actions the binary runs as the action, so a
	// CMD (default arguments) would turn every action step into a CLI run.
	for _, in := range final.find("CMD") {
		t.Errorf("line %d: CMD in the final stage; the action needs the bare entrypoint with no arguments", in.line)
	}

	eps := final.find("ENTRYPOINT")
	if len(eps) != 1 {
		t.Fatalf("final stage has %d ENTRYPOINTs, want 1", len(eps))
	}
	var argv []string
	if err := json.Unmarshal([]byte(eps[0].args), &argv); err != nil {
		t.Fatalf("line %d: ENTRYPOINT %s is not exec form (a JSON array): %v", eps[0].line, eps[0].args, err)
	}
	if len(argv) == 0 || argv[0] != "/tagguard" {
		t.Errorf("line %d: ENTRYPOINT %q, want it to start with /tagguard", eps[0].line, argv)
	}

	copyOf(t, stages, final, "/tagguard")
	ca, _ := copyOf(t, stages, final, "/etc/ssl/certs/ca-certificates.crt")
	if _, srcs, _ := copyArgs(ca); len(srcs) != 1 || srcs[0] != "/etc/ssl/certs/ca-certificates.crt" {
		t.Errorf("line %d: CA certificates copied from %q, want /etc/ssl/certs/ca-certificates.crt", ca.line, srcs)
	}

	labels := strings.Join(instrArgs(final.find("LABEL")), " ")
	for _, want := range []string{
		`org.opencontainers.image.source="https://github.com/tagguard/tagguard"`,
		`org.opencontainers.image.description=`,
		`org.opencontainers.image.licenses=`,
	} {
		if !strings.Contains(labels, want) {
			t.Errorf("final stage LABELs lack %s", want)
		}
	}
}

func TestDockerfileBuildStage(t *testing.T) {
	t.Parallel()
	stages := parseDockerfile(readRepoFile(t, "Dockerfile"))
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a build stage and a final one", len(stages))
	}
	_, build := copyOf(t, stages, stages[len(stages)-1], "/tagguard")

	// The builder runs natively and cross-compiles: no emulation for arm64.
	if !strings.Contains(build.from.args, "--platform=$BUILDPLATFORM") {
		t.Errorf("line %d: FROM %s: want --platform=$BUILDPLATFORM", build.from.line, build.from.args)
	}
	body := strings.Join(instrArgs(build.instrs), "\n")
	for _, want := range []string{"CGO_ENABLED=0", "GOOS=$TARGETOS", "GOARCH=$TARGETARCH", "-trimpath", `-ldflags "-s -w`} {
		if !strings.Contains(body, want) {
			t.Errorf("build stage %s lacks %s", build.name, want)
		}
	}

	// Modules are downloaded in a layer of their own, before the sources.
	order := []*regexp.Regexp{
		regexp.MustCompile(`^COPY go\.mod go\.sum `),
		regexp.MustCompile(`^RUN .*go mod download`),
		regexp.MustCompile(`^COPY \. `),
		regexp.MustCompile(`^RUN .*go build `),
	}
	next := 0
	for _, in := range build.instrs {
		if next < len(order) && order[next].MatchString(in.cmd+" "+in.args) {
			next++
		}
	}
	if next < len(order) {
		t.Errorf("build stage: want COPY go.mod go.sum, RUN go mod download, COPY . and RUN go build in this order; %q not found in place", order[next])
	}

	// The builder's Go must be at least the one go.mod requires.
	m := regexp.MustCompile(`^golang:(\d+)\.(\d+)`).FindStringSubmatch(build.image)
	if m == nil {
		t.Fatalf("line %d: build stage image %s, want golang:MAJOR.MINOR...", build.from.line, build.image)
	}
	g := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindStringSubmatch(readRepoFile(t, "go.mod"))
	if g == nil {
		t.Fatal("go.mod has no go directive")
	}
	if minor(t, m[1], m[2]) < minor(t, g[1], g[2]) {
		t.Errorf("build stage image %s is older than go.mod's go %s.%s", build.image, g[1], g[2])
	}
}

func instrArgs(ins []instruction) []string {
	out := make([]string, len(ins))
	for i, in := range ins {
		out[i] = in.cmd + " " + in.args
	}
	return out
}

// minor turns a Go version's major and minor into one comparable number.
func minor(t *testing.T, major, minor string) int {
	t.Helper()
	a, err1 := strconv.Atoi(major)
	b, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil {
		t.Fatalf("bad Go version %s.%s", major, minor)
	}
	return a*1000 + b
}

func TestParseDockerfile(t *testing.T) {
	t.Parallel()
	src := "# syntax=docker/dockerfile:1\nFROM --platform=$BUILDPLATFORM golang:1.26 AS build\n" +
		"RUN a \\\n  # a comment inside\n  b\nFROM scratch\nCOPY --from=build /x /y\n"
	stages := parseDockerfile(src)
	if len(stages) != 2 {
		t.Fatalf("got %d stages, want 2", len(stages))
	}
	if stages[0].image != "golang:1.26" || stages[0].name != "build" {
		t.Errorf("stage 0 = %q AS %q, want golang:1.26 AS build", stages[0].image, stages[0].name)
	}
	if got := stages[0].instrs[0].args; got != "a b" {
		t.Errorf("joined RUN = %q, want %q", got, "a b")
	}
	if from, srcs, dst := copyArgs(stages[1].instrs[0]); from != "build" || len(srcs) != 1 || srcs[0] != "/x" || dst != "/y" {
		t.Errorf("COPY = %q %q %q", from, srcs, dst)
	}
}
