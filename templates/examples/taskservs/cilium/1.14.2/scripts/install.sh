#!/usr/bin/env bash
# Installs cilium 1.14.2 (taskserv); example catalog.
set -euo pipefail

echo "installing cilium 1.14.2"
