package pin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/files"
	"github.com/tagguard/tagguard/internal/refs"
	"github.com/tagguard/tagguard/internal/report"
	"gopkg.in/yaml.v3"
)

// service is one compose service's image.
type service struct {
	Name  string
	File  string
	Image string // interpolated
}

// readCompose reads the services' images of compose files as docker
// compose resolves them: compose-go, the loader docker compose itself
// uses, loads the files (later ones overriding earlier ones, as
// docker compose -f a -f b does), so extends:, include:, every profile,
// interpolation, anchors and merge keys come out as compose runs them.
// The files named are read first as every file input is (bounded, regular
// files, within ctx, YAML that cannot blow up), and an image whose ${VAR}
// is unset without a default is refused, never half-applied.
func readCompose(ctx context.Context, paths []string, read func(string) ([]byte, error), env envLookup) ([]service, error) {
	byName := map[string]service{}
	var order []string
	contents := map[string][]byte{}
	for _, path := range paths {
		b, err := read(path)
		if ctx.Err() != nil {
			return nil, files.Alive(ctx)
		}
		if err != nil {
			return nil, errkind.BadInputf("reading compose file %s: %v", path, err)
		}
		contents[path] = b
		var doc struct {
			Services map[string]yaml.Node `yaml:"services"`
		}
		// Parsed within the run's context, and refused before decoding
		// when its aliases or mappings would make decoding costly.
		err = files.Within(ctx, func() error {
			n, err := files.ParseYAML(b)
			if err != nil {
				return err
			}
			return n.Decode(&doc)
		})
		if ctx.Err() != nil {
			return nil, files.Alive(ctx)
		}
		if err != nil {
			return nil, errkind.BadInputf("compose file %s is not YAML a compose file can be: %v", path, err)
		}
		for name, node := range doc.Services {
			var svc struct {
				Image *string `yaml:"image"`
			}
			if err := node.Decode(&svc); err != nil {
				return nil, errkind.BadInputf("compose file %s, service %s: %v", path, name, err)
			}
			if svc.Image == nil {
				continue // a service that builds: nothing to pin
			}
			image, err := interpolate(*svc.Image, env)
			if err != nil {
				return nil, errkind.BadInputf("compose file %s, service %s: image %q: %v", path, name, *svc.Image, err)
			}
			// The one grammar, before any request: a compose file must not
			// get a metadata host dialled under --resolve or --verify.
			if p := refs.ImageProblem(image); p != "" {
				return nil, errkind.BadInputf("compose file %s, service %s: image %q %s", path, name, report.Clip(image, 200), p)
			}
			if _, seen := byName[name]; !seen {
				order = append(order, name)
			}
			byName[name] = service{Name: name, File: path, Image: image}
		}
	}
	project := map[string]string{}
	if len(paths) > 0 {
		var err error
		if project, err = loadProject(ctx, paths, contents, env); err != nil {
			return nil, err
		}
	}
	for name, svc := range project {
		if svc == "" {
			delete(byName, name) // builds its image: nothing to pin
			continue
		}
		if p := refs.ImageProblem(svc); p != "" {
			return nil, errkind.BadInputf("compose service %s: image %q %s", name, report.Clip(svc, 200), p)
		}
		s, seen := byName[name]
		if !seen {
			order = append(order, name)
			s = service{Name: name, File: "extended or included by " + paths[0]}
		}
		s.Image = svc
		byName[name] = s
	}
	slices.Sort(order) // reports and overrides in one order, whatever the files' map order
	out := make([]service, 0, len(order))
	for _, n := range order {
		if s, ok := byName[n]; ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// loadProject loads the compose files with compose-go and returns each
// service's image as compose resolves it ("" for one that builds). Every
// profile is on: a service behind one is still a service a deploy may run.
// Files an include: or extends: names are read by compose-go itself, so
// the load runs within ctx: a file that never ends ends with the run.
func loadProject(ctx context.Context, paths []string, contents map[string][]byte, env envLookup) (map[string]string, error) {
	abs, err := filepath.Abs(paths[0])
	if err != nil {
		return nil, errkind.BadInputf("compose file %s: %v", paths[0], err)
	}
	details := types.ConfigDetails{WorkingDir: filepath.Dir(abs), Environment: types.Mapping{}}
	for _, p := range paths {
		details.ConfigFiles = append(details.ConfigFiles, types.ConfigFile{Filename: p, Content: contents[p]})
	}
	lookup := func(key string) (string, bool) {
		v, set, _ := env(key)
		return v, set
	}
	var images map[string]string
	err = files.Within(ctx, func() error {
		project, err := loader.LoadWithContext(ctx, details, func(o *loader.Options) {
			o.SetProjectName("tagguard-pin", true)
			o.Profiles = []string{"*"}
			o.ResolvePaths = false
			o.SkipConsistencyCheck = true
			o.Interpolate.LookupValue = lookup
		})
		if err != nil {
			return err
		}
		images = map[string]string{}
		for name, s := range project.Services {
			images[name] = s.Image
		}
		return nil
	})
	if ctx.Err() != nil {
		return nil, files.Alive(ctx)
	}
	if err != nil {
		return nil, errkind.BadInputf("loading the compose files as docker compose does: %v", err)
	}
	return images, nil
}

// varRE is the compose-spec's interpolation: $$, $VAR, ${VAR},
// ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error},
// ${VAR:+alt}, ${VAR+alt}.
var varRE = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// nested finds a ${...} inside another's default or error text.
var nested = regexp.MustCompile(`\$\{[^}]*\$\{`)

// envLookup reads a variable: its value, whether it is set, and whether
// that answer is exact (false when "" may be set or unset).
type envLookup func(name string) (v string, set, exact bool)

// envOf is the interpolation's environment: lookup where given (it tells
// "" from unset), else getenv, which cannot; the process's when both are
// nil.
func envOf(getenv func(string) string, lookup func(string) (string, bool)) envLookup {
	switch {
	case lookup != nil:
		return func(n string) (string, bool, bool) { v, ok := lookup(n); return v, ok, true }
	case getenv == nil:
		return func(n string) (string, bool, bool) { v, ok := os.LookupEnv(n); return v, ok, true }
	}
	return func(n string) (string, bool, bool) { v := getenv(n); return v, v != "", v != "" }
}

// interpolate resolves s, or says which variable it cannot: no half-filled
// image name ever reaches a pin.
func interpolate(s string, env envLookup) (string, error) {
	if strings.Count(s, "${") > strings.Count(s, "}") || nested.MatchString(s) {
		return "", fmt.Errorf("nested or unclosed ${...} is not resolved here: write the image name out, or resolve it before pin")
	}
	var bad error
	out := varRE.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		sub := varRE.FindStringSubmatch(m)
		name, op, arg := sub[1], sub[2], sub[3]
		if name == "" {
			name = sub[4]
		}
		v, set, exact := env(name)
		empty := v == ""
		if (op == "-" || op == "?" || op == "+") && empty && !exact {
			// These forms tell a variable set to "" from an unset one; the
			// environment here reads both as "": refuse rather than guess.
			bad = fmt.Errorf("${%s%s…}: %s is empty or unset, which this form tells apart and pin cannot here: give it a value, or write ${%s:%s…}", name, op, name, name, op)
			return ""
		}
		switch op {
		case ":-":
			if empty {
				return arg
			}
		case "-":
			if !set {
				return arg
			}
		case ":?", "?":
			if (op == ":?" && empty) || (op == "?" && !set) {
				bad = fmt.Errorf("${%s} is not set: %s", name, strings.TrimSpace(arg))
			}
		case ":+":
			if !empty {
				return arg
			}
			return ""
		case "+":
			if set {
				return arg
			}
			return ""
		case "":
			if !set {
				bad = fmt.Errorf("${%s} is not set in the environment: set it, or pin the compose file with it resolved", name)
			}
		}
		return v
	})
	if bad != nil {
		return "", bad
	}
	return out, nil
}
