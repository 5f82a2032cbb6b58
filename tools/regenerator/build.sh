#!/usr/bin/env bash
# Rebuilds assets/vendor/regenerator-runtime.min.js: the only part of @babel/polyfill the Dash scripts need.
# Dash's page loads @babel/polyfill 7.12.1 (core-js 2 + regenerator-runtime, 36 KB br, ~0.15 s to evaluate on
# this machine's Chromium, and core-js replaces native methods such as String.prototype.trim with slower ones).
# Every browser Dash supports has what core-js adds; the one global the Dash bundles (dash-renderer, dcc,
# dash_table: their lazy-loading helper) use is `regeneratorRuntime`. app.py serves this file in its place.
# Needs node and the npm registry:  bash tools/regenerator/build.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund regenerator-runtime@0.13.11 esbuild@0.25.12 >/dev/null
./node_modules/.bin/esbuild node_modules/regenerator-runtime/runtime.js --minify --legal-comments=none \
  --target=es2016 --outfile=out.js --log-level=warning
{
  printf '/* regenerator-runtime 0.13.11 (MIT, Copyright (c) 2014-present, Facebook, Inc.) - the part of\n'
  printf '   @babel/polyfill the Dash scripts use. Made by tools/regenerator/build.sh; do not edit. */\n'
  cat out.js
} > "$root/assets/vendor/regenerator-runtime.min.js"
cp node_modules/regenerator-runtime/LICENSE "$root/assets/vendor/REGENERATOR_LICENSE.txt"
echo "assets/vendor/regenerator-runtime.min.js: $(wc -c < "$root/assets/vendor/regenerator-runtime.min.js") bytes"
