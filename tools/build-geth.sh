#!/usr/bin/env bash
# Build (once) and cache go-ethereum v1.13.15 -- the last geth release that seals Clique PoA.
#
#   tools/build-geth.sh            # idempotent: exits at once if .cache/bin/geth is 1.13.15
#   GETH_FORCE_BUILD=1 tools/build-geth.sh
#
# The binary lands in <repo>/.cache/bin/geth (on PATH via bin/env.sh). Builds are also kept in
# a machine-wide cache ($CIVIC_MACHINE_CACHE, default ~/.cache/civic-ledger) together with
# Go's module and build caches, so a fresh clone on the same machine (CI) copies the binary
# instead of compiling for ~3 minutes. Nothing is fetched but Go modules and the Go toolchain,
# both through the Go module proxy.
#
# Go >= 1.23 refuses to link github.com/fjl/memsize (go:linkname to runtime.stopTheWorld), so
# the build pins GOTOOLCHAIN=go1.22.12; Go downloads that toolchain as a module.
set -euo pipefail

GETH_VERSION="${GETH_VERSION:-1.13.15}"
GETH_GO_TOOLCHAIN="${GETH_GO_TOOLCHAIN:-go1.22.12}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="${REPO}/.cache/bin"
GETH="${BIN_DIR}/geth"
if [[ -n "${CIVIC_MACHINE_CACHE:-}" ]]; then
    MACHINE_CACHE="$CIVIC_MACHINE_CACHE"
elif [[ -n "${HOME:-}" && -w "${HOME:-/nonexistent}" ]]; then
    MACHINE_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/civic-ledger"
else
    MACHINE_CACHE="${REPO}/.cache"
fi
BUILT_DIR="${MACHINE_CACHE}/geth-v${GETH_VERSION}-${GETH_GO_TOOLCHAIN}"

log() { printf '[build-geth] %s\n' "$*" >&2; }

version_of() {
    [[ -x "$1" ]] || return 1
    "$1" version 2>/dev/null | awk -F': ' '/^Version:/ {print $2; exit}'
}

if [[ -z "${GETH_FORCE_BUILD:-}" ]]; then
    have="$(version_of "$GETH" || true)"
    if [[ "$have" == "${GETH_VERSION}"* ]]; then
        log "cached: ${GETH} (${have}) -- nothing to do"
        exit 0
    fi
    [[ -n "$have" ]] && log "${GETH} reports '${have}', want ${GETH_VERSION}: replacing it"
    machine="$(version_of "${BUILT_DIR}/geth" || true)"
    if [[ "$machine" == "${GETH_VERSION}"* ]]; then
        mkdir -p "$BIN_DIR"
        cp "${BUILT_DIR}/geth" "${GETH}.tmp" && mv "${GETH}.tmp" "$GETH"
        log "copied ${BUILT_DIR}/geth (${machine}) to ${GETH}"
        exit 0
    fi
fi

if ! command -v go >/dev/null 2>&1; then
    log "error: no 'go' on PATH; a Go toolchain (>= 1.21, able to fetch ${GETH_GO_TOOLCHAIN}) is required"
    exit 1
fi

mkdir -p "$BIN_DIR" "$BUILT_DIR"
export GOMODCACHE="${GOMODCACHE:-${MACHINE_CACHE}/go/mod}"
export GOCACHE="${GOCACHE:-${MACHINE_CACHE}/go/build}"
export GOTOOLCHAIN="${GETH_GO_TOOLCHAIN}"
export GOBIN="$BUILT_DIR"
# -modcacherw: leave the module cache deletable (rm -rf) like any other cache.
export GOFLAGS="${GOFLAGS:--mod=mod -modcacherw}"
export CGO_ENABLED="${CGO_ENABLED:-1}"

log "building geth v${GETH_VERSION} with GOTOOLCHAIN=${GOTOOLCHAIN} into ${GOBIN}"
log "  (GOMODCACHE=${GOMODCACHE} GOCACHE=${GOCACHE}); about 3 minutes on 2 idle cores"
start=$(date +%s)
go install "github.com/ethereum/go-ethereum/cmd/geth@v${GETH_VERSION}"
end=$(date +%s)

have="$(version_of "${BUILT_DIR}/geth" || true)"
if [[ "$have" != "${GETH_VERSION}"* ]]; then
    log "error: built binary reports '${have}', expected ${GETH_VERSION}"
    exit 1
fi
cp "${BUILT_DIR}/geth" "${GETH}.tmp" && mv "${GETH}.tmp" "$GETH"
log "built ${GETH} (${have}) in $((end - start)) s"
