#!/usr/bin/env bash
# Build (once) and cache go-ethereum v1.13.15 -- the last geth release that seals Clique PoA.
#
#   tools/build-geth.sh            # idempotent: exits fast if .cache/bin/geth is already 1.13.15
#   GETH_FORCE_BUILD=1 tools/build-geth.sh
#
# Go >= 1.23 refuses to link github.com/fjl/memsize (linkname to runtime.stopTheWorld), so the
# build pins an older Go toolchain; Go downloads it as a module through the Go module proxy.
set -euo pipefail

GETH_VERSION="${GETH_VERSION:-1.13.15}"
GETH_GO_TOOLCHAIN="${GETH_GO_TOOLCHAIN:-go1.22.12}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="${REPO}/.cache/bin"
GETH="${BIN_DIR}/geth"

log() { printf '[build-geth] %s\n' "$*" >&2; }

installed_version() {
    [[ -x "$GETH" ]] || return 1
    "$GETH" version 2>/dev/null | awk -F': ' '/^Version:/ {print $2; exit}'
}

if [[ -z "${GETH_FORCE_BUILD:-}" ]]; then
    have="$(installed_version || true)"
    if [[ "$have" == "${GETH_VERSION}"* ]]; then
        log "cached: ${GETH} (${have}) -- nothing to do"
        exit 0
    fi
    [[ -n "$have" ]] && log "cached geth reports '${have}', want ${GETH_VERSION}: rebuilding"
fi

if ! command -v go >/dev/null 2>&1; then
    log "error: no 'go' on PATH; a Go toolchain (any >= 1.21, to fetch ${GETH_GO_TOOLCHAIN}) is required"
    exit 1
fi

mkdir -p "$BIN_DIR"
# Keep Go's module/build caches inside the repo's cache folder unless the caller set them,
# so a fresh clone's CI run and a developer's tree don't depend on $HOME state.
export GOMODCACHE="${GOMODCACHE:-${REPO}/.cache/go/mod}"
export GOCACHE="${GOCACHE:-${REPO}/.cache/go/build}"
export GOTOOLCHAIN="${GETH_GO_TOOLCHAIN}"
export GOBIN="$BIN_DIR"
export GOFLAGS="${GOFLAGS:--mod=mod}"
export CGO_ENABLED="${CGO_ENABLED:-1}"

log "building geth v${GETH_VERSION} with GOTOOLCHAIN=${GOTOOLCHAIN} into ${GOBIN}"
log "  (GOMODCACHE=${GOMODCACHE} GOCACHE=${GOCACHE}); this takes several minutes on 2 cores"
start=$(date +%s)
go install "github.com/ethereum/go-ethereum/cmd/geth@v${GETH_VERSION}"
end=$(date +%s)

have="$(installed_version || true)"
if [[ "$have" != "${GETH_VERSION}"* ]]; then
    log "error: built binary reports '${have}', expected ${GETH_VERSION}"
    exit 1
fi
log "built ${GETH} (${have}) in $((end - start)) s"
