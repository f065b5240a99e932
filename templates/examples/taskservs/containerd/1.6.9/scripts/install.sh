#!/usr/bin/env bash
# Installs containerd 1.6.9 (taskserv); example catalog.
set -euo pipefail

echo "installing containerd 1.6.9"
