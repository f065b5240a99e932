#!/usr/bin/env bash
# `npm run quickstart`: install, build, and run the main job on a fresh machine with
# no server: a demo workspace in a temporary folder, with its own PROVISIONING_HOME.
#   QUICKSTART_SKIP_BUILD=1  use the dist/ already built (no npm ci, no build): for the test
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${QUICKSTART_SKIP_BUILD:-}" != 1 ]; then
  bash scripts/ensure-deps.sh
  echo "==> build" >&2
  npm run --silent build >/dev/null
fi

# The one namespace the demo publishes to and resolves from: set once, in the user layer,
# so every command (with or without --infra) uses the value `config show` shows.
namespace=demo-extensions

demo=$(mktemp -d "${TMPDIR:-/tmp}/provisioning-quickstart.XXXXXX")
export PROVISIONING_HOME="$demo/home"
cli() { echo; echo "\$ provisioning $*"; node bin/run.js "$@"; }

# The local registry service when a registry binary is installed (zot, registry or Debian's
# docker-registry), else the embedded OCI layout store: both need no setup.
registry_binary=""
for candidate in zot registry docker-registry; do
  if command -v "$candidate" >/dev/null 2>&1; then registry_binary=$candidate; break; fi
done
registry_started=""
stop_registry() {
  if [ -n "$registry_started" ]; then node bin/run.js oci-registry stop --quiet >/dev/null 2>&1 || true; fi
}
trap stop_registry EXIT

cli --version
cli workspace init demo --path "$demo/demo" --activate
cli mode current
# A value in three layers, to show where each one comes from.
if [ -n "$registry_binary" ]; then
  # Port 5000 is the default; take a free one if something already listens there.
  port=$(node -e "const s=require('net').createServer();s.once('error',()=>{const t=require('net').createServer();t.listen(0,'127.0.0.1',()=>{console.log(t.address().port);t.close()})});s.listen(5000,'127.0.0.1',()=>{console.log(5000);s.close()})")
  printf '[oci]\nnamespace = "%s"\nconcurrency = 8\n\n[platform.services.oci-registry]\n# The local registry service (%s); oci.registry follows this port.\nport = %s\n' "$namespace" "$registry_binary" "$port" > "$PROVISIONING_HOME/config.user.toml"
  echo
  echo "==> using the local registry service ($registry_binary on 127.0.0.1:$port; stopped when the demo ends)"
  cli oci-registry start
  registry_started=1
else
  printf '[oci]\nnamespace = "%s"\nconcurrency = 8\n# The embedded OCI layout registry: no server needed.\nregistry = "oci-layout://{{paths.oci_store}}"\n' "$namespace" > "$PROVISIONING_HOME/config.user.toml"
  echo
  echo "==> no registry binary (zot, registry, docker-registry) on PATH: using the embedded OCI layout store $PROVISIONING_HOME/oci-store"
fi
printf '[oci]\nconcurrency = 6\n' >> "$demo/demo/infra/default/config.toml"
cli config layers --infra default
cli config show oci --origin --infra default
cli workspace info

# Publish the example catalog (18 versions, one process, several at a time) into the
# registry chosen above, under the namespace shown above.
echo
echo "==> publishing to namespace $namespace"
cli oci config
cli oci push templates/examples/*/*/*/ --quiet
cli oci tags containerd
cli oci search kube
cli oci list
cli oci inspect kubernetes:1.28.0

# The main job: declare what the workspace needs, resolve, install, lock.
node - "$demo/demo/config/provisioning.yaml" <<'JS'
// Declare modules in the demo workspace (containerd pinned: the resolver must pick kubernetes 1.27.4).
const fs = require('fs')
const file = process.argv[2]
const text = fs.readFileSync(file, 'utf8').replace(/modules:[\s\S]*$/, `modules:
      providers: ["aws:2.1.0"]
      taskservs: ["containerd:1.6.9", {name: redis, version: "^7"}]
      clusters: [{name: k8s-basic, version: "^1.0"}]
`)
fs.writeFileSync(file, text)
JS
cli dep resolve
cli dep tree
cli dep resolve --frozen
cli module resolve taskserv kubernetes

cli audit --limit 5

echo
echo "Done. The demo lives in $demo (PROVISIONING_HOME=$PROVISIONING_HOME); remove it with: rm -rf $demo"
