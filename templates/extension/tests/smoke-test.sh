#!/usr/bin/env bash
# Smoke test of the __NAME__ __TYPE__: checks the install script is valid shell.
set -euo pipefail

bash -n "$(dirname "$0")/../scripts/install.sh"
echo "ok: __NAME__"
