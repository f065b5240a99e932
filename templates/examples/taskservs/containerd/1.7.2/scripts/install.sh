#!/usr/bin/env bash
# Installs containerd 1.7.2 (taskserv); example catalog.
set -euo pipefail

echo "installing containerd 1.7.2"
