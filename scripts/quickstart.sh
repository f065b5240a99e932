#!/usr/bin/env bash
# `npm run quickstart`: install, build, and run the main job on a fresh machine with
# no server: a demo workspace in a temporary folder, with its own PROVISIONING_HOME.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-deps.sh
echo "==> build" >&2
npm run --silent build >/dev/null

demo=$(mktemp -d "${TMPDIR:-/tmp}/provisioning-quickstart.XXXXXX")
export PROVISIONING_HOME="$demo/home"
cli() { echo; echo "\$ provisioning $*"; node bin/run.js "$@"; }

cli --version
cli workspace init demo --path "$demo/demo" --activate
cli mode current
# A value in three layers, to show where each one comes from.
printf '[oci]\nconcurrency = 8\n# The embedded OCI layout registry: no server needed.\nregistry = "oci-layout://{{paths.oci_store}}"\n' > "$PROVISIONING_HOME/config.user.toml"
printf '[oci]\nnamespace = "demo-extensions"\nconcurrency = 6\n' >> "$demo/demo/infra/default/config.toml"
cli config layers --infra default
cli config show oci --origin --infra default
cli workspace info

# Publish the example catalog into the embedded OCI layout registry
# ($PROVISIONING_HOME/oci-store, set in config.user.toml above).
cli oci config
echo
echo "\$ provisioning oci push <each of templates/examples/*/*/*>"
for dir in templates/examples/*/*/*/; do
  node bin/run.js oci push "$dir" --quiet | head -n 1
done
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

echo
echo "Done. The demo lives in $demo (PROVISIONING_HOME=$PROVISIONING_HOME); remove it with: rm -rf $demo"
