#!/usr/bin/env bash
# Installs upcloud 1.5.0 (provider); example catalog.
set -euo pipefail

echo "installing upcloud 1.5.0"
