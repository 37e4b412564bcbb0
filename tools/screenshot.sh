#!/usr/bin/env bash
# Renders RUN_DIR/report.html in headless Chromium to RUN_DIR/report.png, to look at the HTML report as
# a browser draws it. The window is 1280 px wide and as tall as the page is estimated to be (the charts'
# heights plus the table rows), or HEIGHT px when given.
#   tools/screenshot.sh RUN_DIR [HEIGHT]
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 RUN_DIR [HEIGHT]" >&2
  exit 2
fi
run_dir=$1
report="$run_dir/report.html"
[[ -f "$report" ]] || { echo "$0: no report.html in $run_dir" >&2; exit 2; }

browser=""
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null; then browser=$candidate; break; fi
done
[[ -n "$browser" ]] || { echo "$0: no chromium found (Debian: apt-get install chromium)" >&2; exit 2; }

height=${2:-}
if [[ -z "$height" ]]; then
  # every chart declares its height; a table row takes at most about 48 px (long labels wrap); 700 px for
  # headings, text and lists: a generous estimate, the bottom may stay white
  charts=$(grep -o '<svg [^>]*class="chart[^>]*' "$report" | grep -o ' height="[0-9]*"' | grep -o '[0-9]*' | paste -sd+ - || true)
  rows=$(grep -o '<tr>' "$report" | wc -l)
  height=$(( ${charts:-0} + 48 * rows + 700 ))
fi

abs_dir=$(cd "$run_dir" && pwd)
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="1280,$height" \
  --screenshot="$abs_dir/report.png" "file://$abs_dir/report.html" 2>/dev/null
echo "$abs_dir/report.png (1280x$height)"
