package ghtest

import (
	"embed"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
)

// The fixtures are GitHub's documented response shapes; each answer starts
// from a fresh copy and overwrites the fields the server keeps.
//
//go:embed testdata/*.json
var fixtures embed.FS

func fixture(name string) map[string]any {
	b, err := fixtures.ReadFile("testdata/" + name)
	if err != nil {
		panic("ghtest: " + err.Error())
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic("ghtest: parsing " + name + ": " + err.Error())
	}
	return m
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// writeError writes GitHub's error shape. GitHub has added "status" (a
// string) to it; clients must ignore fields they do not know.
func writeError(w http.ResponseWriter, status int, message, docs string) {
	body := map[string]any{"message": message, "status": strconv.Itoa(status)}
	if docs != "" {
		body["documentation_url"] = docs
	}
	writeJSON(w, status, body)
}

func notFound(w http.ResponseWriter, docs string) {
	writeError(w, http.StatusNotFound, "Not Found", docs)
}

// fieldError is one entry of a 422 "Validation Failed" answer.
type fieldError struct {
	Resource string `json:"resource"`
	Code     string `json:"code"`
	Field    string `json:"field"`
	Message  string `json:"message,omitempty"`
}

func writeValidation(w http.ResponseWriter, docs string, errs ...fieldError) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message":           "Validation Failed",
		"errors":            errs,
		"documentation_url": docs,
		"status":            "422",
	})
}

// paginate returns the page of items the request asks for and sets the Link
// header GitHub sends: prev/next/last/first, each only when it exists, with
// the request's own path and parameters.
func paginate[T any](w http.ResponseWriter, r *http.Request, items []T) []T {
	q := r.URL.Query()
	perPage := atoiOr(q.Get("per_page"), 30)
	if perPage < 1 {
		perPage = 30
	}
	perPage = min(perPage, 100)
	page := max(atoiOr(q.Get("page"), 1), 1)
	last := max(int(math.Ceil(float64(len(items))/float64(perPage))), 1)

	link := func(p int, rel string) string {
		q.Set("page", strconv.Itoa(p))
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: q.Encode()}
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(min(page-1, last), "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		h := links[0]
		for _, l := range links[1:] {
			h += ", " + l
		}
		w.Header().Set("Link", h)
	}

	start := min((page-1)*perPage, len(items))
	end := min(start+perPage, len(items))
	return items[start:end]
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

func itoa(n int) string { return strconv.Itoa(n) }
