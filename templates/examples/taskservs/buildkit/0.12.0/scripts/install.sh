#!/usr/bin/env bash
# Installs buildkit 0.12.0 (taskserv); example catalog.
set -euo pipefail

echo "installing buildkit 0.12.0"
