#!/usr/bin/env bash
# Installs kubernetes 1.27.4 (taskserv); example catalog.
set -euo pipefail

echo "installing kubernetes 1.27.4"
