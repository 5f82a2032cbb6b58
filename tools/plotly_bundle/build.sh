#!/usr/bin/env bash
# Rebuilds assets/vendor/plotly-obs.min.js: plotly.js with only scatter, bar and choropleth (entry.js).
# Needs node >= 18 and the npm registry. The plotly.js version must be the one the installed plotly (Python)
# package was made for (plotly.offline.get_plotlyjs_version()); tests/test_plotly_bundle.py checks it.
#   bash tools/plotly_bundle/build.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$here/entry.js" "$work/"
cd "$work"
npm ci --no-audit --no-fund --ignore-scripts >/dev/null
# our patches to plotly.js's sources (patches/README.md says why); `patch` refuses a patch that no longer applies
for p in "$here"/patches/*.patch; do
  patch --quiet --forward -p1 -d node_modules/plotly.js < "$p"
done
version="$(node -p "require('plotly.js/package.json').version")"
# the maplibre CSS that plotly's registry requires for `map` subplots is emitted beside the bundle and not used
./node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --global-name=Plotly \
  --define:global=window --define:define.amd=false --target=es2016 --legal-comments=none \
  --outfile=plotly-obs.min.js --log-level=warning
{
  printf '/* plotly.js v%s (MIT, Copyright 2012-2026 Plotly, Inc.) - observatorio build: scatter, bar, choropleth.\n' "$version"
  printf '   Patched by tools/plotly_bundle/patches/*.patch. Made by tools/plotly_bundle/build.sh; do not edit. */\n'
  cat plotly-obs.min.js
} > "$root/assets/vendor/plotly-obs.min.js"
cp node_modules/plotly.js/LICENSE "$root/assets/vendor/PLOTLY_LICENSE.txt"
# brotli at its best (quality 11: ~4 s, too slow for a request) made once here; app.py serves it to browsers
# that accept br (384 KB instead of ~470 KB with gzip or zstd)
node -e "const z = require('zlib'), fs = require('fs'), f = process.argv[1];
  fs.writeFileSync(f + '.br', z.brotliCompressSync(fs.readFileSync(f),
    {params: {[z.constants.BROTLI_PARAM_QUALITY]: 11, [z.constants.BROTLI_PARAM_LGWIN]: 24}}));" \
  "$root/assets/vendor/plotly-obs.min.js"
# the URL the page loads it from carries the version and a digest of the file (browsers cache it for a day)
digest="$(sha256sum "$root/assets/vendor/plotly-obs.min.js" | cut -c1-8)"
sed -i -E "s|(var BUNDLE = 'vendor/plotly-obs.min.js\?v=)[^']*'|\1$version-$digest'|" "$root/assets/00_plotly.js"
echo "assets/vendor/plotly-obs.min.js: plotly.js $version, $(wc -c < "$root/assets/vendor/plotly-obs.min.js") bytes"
