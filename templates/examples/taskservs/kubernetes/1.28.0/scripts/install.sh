#!/usr/bin/env bash
# Installs kubernetes 1.28.0 (taskserv); example catalog.
set -euo pipefail

echo "installing kubernetes 1.28.0"
