# syntax=docker/dockerfile:1
#
# The tagguard action image: one static binary and the CA certificates, on
# scratch. action.yml names the prebuilt image (docker://ghcr.io/tagguard/tagguard:v1),
# so a job pulls a few MB instead of building this file.
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/tagguard/tagguard:dev .
#
# The builder runs on the build machine's own platform ($BUILDPLATFORM) and
# cross-compiles for $TARGETOS/$TARGETARCH (BuildKit fills both in), so the
# arm64 image needs no emulation.

FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
# scratch has no /tmp; tagguard demo (and anything using os.TempDir) needs one.
RUN mkdir -p /rootfs/tmp && chmod 1777 /rootfs/tmp
# Modules first, in a layer of their own (not a cache mount, which an
# ephemeral CI builder starts empty): it stays cached until go.mod or go.sum
# change, also in the registry or GitHub Actions build cache.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TARGETOS
ARG TARGETARCH
# VERSION is the release being built and COMMIT its commit (the release
# workflow passes both; the image is built without .git, so Go cannot stamp
# the commit itself); they reach the binary through -X.
ARG VERSION=dev
ARG COMMIT=unknown
RUN --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X github.com/tagguard/tagguard/internal/app.version=${VERSION} -X github.com/tagguard/tagguard/internal/app.commit=${COMMIT}" \
      -o /out/tagguard ./cmd/tagguard

FROM scratch
ARG VERSION=dev
LABEL org.opencontainers.image.title="tagguard" \
      org.opencontainers.image.description="Release guards for container image tags: block overwrites of version tags, record pushed digests, restore tags to recorded digests." \
      org.opencontainers.image.source="https://github.com/tagguard/tagguard" \
      org.opencontainers.image.url="https://github.com/tagguard/tagguard" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /rootfs/ /
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/tagguard /tagguard
# No USER and no WORKDIR: the Actions runner starts a container action as
# root with --workdir /github/workspace, and its mounts belong to the runner.
# Exec form, no shell (there is none): with no arguments inside Actions the
# binary runs as the action (inputs from INPUT_*).
ENTRYPOINT ["/tagguard"]
