#!/usr/bin/env bash
# Installs aws 2.1.0 (provider); example catalog.
set -euo pipefail

echo "installing aws 2.1.0"
