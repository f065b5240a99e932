#!/usr/bin/env bash
# Installs postgres 16.1.0 (taskserv); example catalog.
set -euo pipefail

echo "installing postgres 16.1.0"
