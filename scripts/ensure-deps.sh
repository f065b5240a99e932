#!/usr/bin/env bash
# Installs what the build and the test suite need on a fresh machine: npm packages
# (npm ci when node_modules is missing or older than the lockfile) and, when asked
# with --system, the Debian packages the integration tests run for real.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi

if [ "${1:-}" = "--system" ]; then
  # command -> Debian package
  declare -A need=([docker-registry]=docker-registry [skopeo]=skopeo [htpasswd]=apache2-utils [openssl]=openssl [etcd]=etcd-server [python3]=python3)
  missing=()
  for cmd in "${!need[@]}"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> apt-get install ${missing[*]}" >&2
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq >&2
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
fi
