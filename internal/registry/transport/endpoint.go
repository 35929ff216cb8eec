package transport

import "strings"

// Endpoint says which registry API a request path names: "manifests" for
// /v2/<name>/manifests/<reference>, "referrers" for
// /v2/<name>/referrers/<digest>, "" for anything else. The path's shape
// decides, not a substring: a repository may well be called
// ci/manifests/app, and its blobs are not manifests.
func Endpoint(path string) string {
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return ""
	}
	elems := strings.Split(rest, "/")
	if n := len(elems); n >= 3 {
		switch elems[n-2] {
		case "manifests", "referrers":
			return elems[n-2]
		}
	}
	return ""
}
