#!/usr/bin/env bash
# Installs redis 7.2.0 (taskserv); example catalog.
set -euo pipefail

echo "installing redis 7.2.0"
