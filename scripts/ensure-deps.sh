#!/usr/bin/env bash
# Installs what the build and the test suite need on a fresh machine: npm packages
# (npm ci when node_modules is missing or older than the lockfile) and, when asked:
#   --system  the Debian packages the integration tests run for real
#   --node24  Node.js 24 (the active LTS the suite runs on) in .tools/node24, from the npm
#             registry, unless the machine's node already is 24; prints that node's path
set -euo pipefail
cd "$(dirname "$0")/.."

system=""
node24=""
for arg in "$@"; do
  case "$arg" in
    --system) system=1 ;;
    --node24) node24=1 ;;
    *) echo "ensure-deps.sh: unknown option $arg (--system, --node24)" >&2; exit 2 ;;
  esac
done

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi

if [ -n "$system" ]; then
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

if [ -n "$node24" ]; then
  if [[ "$(node --version 2>/dev/null)" == v24.* ]]; then
    command -v node
    exit 0
  fi
  dest=.tools/node24
  if [ ! -x "$dest/bin/node" ]; then
    case "$(uname -m)" in
      x86_64) arch=x64 ;;
      aarch64 | arm64) arch=arm64 ;;
      *) echo "ensure-deps.sh: no Node.js 24 package for $(uname -m); put a Node 24 first on PATH" >&2; exit 1 ;;
    esac
    echo "==> Node.js 24 (npm package node-linux-$arch@24) into $dest" >&2
    mkdir -p .tools
    # Installed beside the destination and renamed into place: an interrupted install leaves
    # only a .tmp folder (removed by the next install), never a half-written $dest.
    rm -rf .tools/node24.tmp.*
    tmp=$(mktemp -d .tools/node24.tmp.XXXXXX)
    trap 'rm -rf "$tmp"' EXIT
    npm install --prefix "$tmp" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund "node-linux-$arch@24" >&2
    pkg="$tmp/node_modules/node-linux-$arch"
    version=$("$pkg/bin/node" --version)
    [[ "$version" == v24.* ]] || { echo "ensure-deps.sh: node-linux-$arch@24 gave node $version" >&2; exit 1; }
    # -T: a concurrent install that renamed first wins; ours is then dropped with $tmp.
    mv -T "$pkg" "$dest" 2>/dev/null || [ -x "$dest/bin/node" ]
    echo "==> Node.js $version in $dest" >&2
  fi
  echo "$PWD/$dest/bin/node"
fi
