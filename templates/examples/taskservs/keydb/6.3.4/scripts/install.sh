#!/usr/bin/env bash
# Installs keydb 6.3.4 (taskserv); example catalog.
set -euo pipefail

echo "installing keydb 6.3.4"
