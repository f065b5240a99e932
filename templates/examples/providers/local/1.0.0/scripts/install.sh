#!/usr/bin/env bash
# Installs local 1.0.0 (provider); example catalog.
set -euo pipefail

echo "installing local 1.0.0"
