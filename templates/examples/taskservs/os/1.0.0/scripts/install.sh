#!/usr/bin/env bash
# Installs os 1.0.0 (taskserv); example catalog.
set -euo pipefail

echo "installing os 1.0.0"
