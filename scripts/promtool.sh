#!/usr/bin/env bash
# Runs Prometheus' promtool (installing the Debian package 'prometheus', which carries it, with apt-get when missing), so
# that the tests and an operator check the gateway's scrape and alert rules with the same tool:
#
#   scripts/promtool.sh check metrics < scrape.txt
#   scripts/promtool.sh check rules k8s/monitoring/gateway-rules.yaml
set -Eeuo pipefail

if ! command -v promtool >/dev/null 2>&1; then
  echo "installing promtool (Debian package prometheus)" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus) >&2
fi

exec promtool "$@"
