package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/regtest"
)

// BenchmarkActionCost is what the action costs a job before it does any
// work: the image a runner pulls (the release binary, built as the
// Dockerfile builds it, and the CA bundle, in one layer on scratch: its
// size as a tar and gzip-compressed, as a registry serves it) and the
// binary's cold start, `tagguard version` and a check of one ref on the
// in-process registry, each a new process.
func BenchmarkActionCost(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "tagguard")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building tagguard as the Dockerfile does: %v\n%s", err, out)
	}
	layer, compressed := imageLayer(b, bin)
	srv := regtest.InProcess(b)
	regtest.PushImage(b, srv.Ref("org/app:build-1"))
	tg := regtest.Tool{Path: bin, Home: dir}
	b.Run("version", func(b *testing.B) {
		for b.Loop() {
			if err := tg.Run(context.Background(), "version"); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(layer)/(1<<20), "MiB-image")
		b.ReportMetric(float64(compressed)/(1<<20), "MiB-image-gzip")
	})
	b.Run("check-one-ref", func(b *testing.B) {
		start := time.Now()
		n := 0
		for b.Loop() {
			if err := tg.Run(context.Background(), "check", "-q", "--images", srv.Ref("org/app:build-1")); err != nil {
				b.Fatal(err)
			}
			n++
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(n), "ms/run")
	})
}

// imageLayer is the action image's one layer: the binary at /tagguard and
// the CA bundle, as a tar and gzip-compressed.
func imageLayer(b *testing.B, bin string) (tarSize, gzipSize int) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, path := range map[string]string{"tagguard": bin, "etc/ssl/certs/ca-certificates.crt": "/etc/ssl/certs/ca-certificates.crt"} {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(data))}); err != nil {
			b.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			b.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		b.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	if _, err := zw.Write(buf.Bytes()); err != nil {
		b.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Len(), z.Len()
}
