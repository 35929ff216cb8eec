// Command releaseyml writes the release commit's action.yml: the image
// named by the digest tagguard promote published. release.yml runs it:
//
//	go run ./internal/tools/releaseyml -version 1.2.3 -digest sha256:… > action.yml
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/tagguard/tagguard/internal/action"
)

func main() {
	version := flag.String("version", "", "the version released, X.Y.Z")
	digest := flag.String("digest", "", "the image index promote published, sha256:...")
	flag.Parse()
	out, err := action.RenderReleaseActionYML(*version, *digest)
	if err != nil {
		fmt.Fprintf(os.Stderr, "releaseyml: %v\n", err)
		os.Exit(2)
	}
	fmt.Print(out)
}
