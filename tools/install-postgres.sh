#!/usr/bin/env bash
# PostgreSQL's server binaries for the gateway's postgres tests (tests/gateway/postgres.py
# starts its own server from them: initdb + pg_ctl in a temp folder, on a free port).
#
#   tools/install-postgres.sh      # idempotent: exits at once when initdb is there
#
# Looks for initdb on PATH and in Debian's /usr/lib/postgresql/<version>/bin. When it is
# missing and we are root on a machine with apt-get (a fresh Debian CI machine), installs
# Debian's `postgresql` (no cluster is started: there is no init system). Otherwise it says
# what to do and exits 0: the postgres tests then fail naming the missing binaries, or are
# skipped with CIVIC_SKIP_POSTGRES=1.
set -uo pipefail

log() { printf '[install-postgres] %s\n' "$*" >&2; }

have_server() {
    command -v initdb >/dev/null 2>&1 && return 0
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

have_server && exit 0
if [[ "${CIVIC_SKIP_POSTGRES:-}" == 1 ]]; then
    log "PostgreSQL not installed; CIVIC_SKIP_POSTGRES=1: the gateway's postgres tests are skipped"
    exit 0
fi
if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    log "PostgreSQL's server (initdb) not found and not installable here (needs root and apt-get):"
    log "install Debian's postgresql, or set CIVIC_SKIP_POSTGRES=1 to skip the postgres tests"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
log "initdb not found: apt-get install -y --no-install-recommends postgresql"
if ! apt-get install -y -q --no-install-recommends postgresql >/dev/null; then
    log "apt-get update (the package lists were stale or missing), then install again"
    apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends postgresql >/dev/null || {
        log "installing postgresql failed: the gateway's postgres tests will fail"
        exit 1
    }
fi
have_server || { log "postgresql installed but initdb is still missing"; exit 1; }
log "installed: $(compgen -G '/usr/lib/postgresql/*/bin/initdb' | tail -1)"
