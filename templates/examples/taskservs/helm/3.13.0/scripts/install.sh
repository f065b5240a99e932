#!/usr/bin/env bash
# Installs helm 3.13.0 (taskserv); example catalog.
set -euo pipefail

echo "installing helm 3.13.0"
