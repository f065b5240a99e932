#!/usr/bin/env bash
# Installs the __NAME__ __TYPE__. Receives the rendered settings of kcl/__NAME__.k.
set -euo pipefail

echo "installing __NAME__ (__TYPE__)"
