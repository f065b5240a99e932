#!/usr/bin/env bash
# Installs aws 2.0.0 (provider); example catalog.
set -euo pipefail

echo "installing aws 2.0.0"
