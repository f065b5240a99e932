#!/usr/bin/env bash
# Installs etcd 3.5.9 (taskserv); example catalog.
set -euo pipefail

echo "installing etcd 3.5.9"
