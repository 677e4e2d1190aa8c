#!/usr/bin/env bash
# Render a scigan report.html in headless Chromium and check that it renders.
#
#   scripts/check_report_browser.sh [REPORT.html] [OUT_DIR]
#
# Without REPORT it trains a tiny toy run (ring8, a few seconds on CPU) with --report and checks
# that report. OUT_DIR (default: a new temporary folder) receives screenshot.png, dom.html and
# Chromium's logs. Checks:
#   - the screenshot is not blank: a PNG with many distinct colours, some of them clearly not
#     grey (the figures' coloured points and curves, not just anti-aliased text);
#   - no console message and no uncaught JavaScript error while loading;
#   - every <img> is an embedded data:image/... URI and nothing loads an external resource;
#   - the DOM has the report's title (<h1>) and at least one figure.
# Exit codes: 0 renders; 1 a check failed (one line per problem on stderr); 3 no Chromium
# (install it with `apt-get install -y chromium`; set CHROMIUM=/path/to/chrome to choose one).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
[ -x "$PY" ] || PY=python3
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
if [ -z "$CHROMIUM" ]; then
    echo "check_report_browser: chromium not found; install it with apt-get install -y chromium" >&2
    exit 3
fi

OUT=${2:-$(mktemp -d -t scigan-report-check.XXXXXX)}
mkdir -p "$OUT"
REPORT=${1:-}
if [ -z "$REPORT" ]; then
    "$PY" -m scigan train --data ring8 --set n=1000 --steps 40 --z-dim 4 --g-width 16 \
        --d-width 16 --g-depth 1 --d-depth 1 --batch-size 64 --eval-every 0 --eval-n 300 \
        --log-every 5 --threads 1 --quiet --out "$OUT/run" --report >"$OUT/train.log" 2>&1 || {
        echo "check_report_browser: the tiny toy run failed; see $OUT/train.log" >&2
        exit 1
    }
    REPORT=$OUT/run/report.html
fi
if [ ! -f "$REPORT" ]; then
    echo "check_report_browser: $REPORT: file not found; pass a report.html (scigan report RUN)" >&2
    exit 1
fi
URL="file://$(cd "$(dirname "$REPORT")" && pwd)/$(basename "$REPORT")"

PROFILE=$(mktemp -d -t scigan-chromium.XXXXXX)
trap 'rm -rf "$PROFILE"' EXIT
FLAGS=(
    --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
    --no-default-browser-check --disable-extensions --hide-scrollbars
    --user-data-dir="$PROFILE" --enable-logging=stderr --v=0 --virtual-time-budget=5000
)
timeout 180 "$CHROMIUM" "${FLAGS[@]}" --window-size=1280,4000 \
    --screenshot="$OUT/screenshot.png" "$URL" >/dev/null 2>"$OUT/chromium-screenshot.log" || {
    echo "check_report_browser: chromium --screenshot failed; see $OUT/chromium-screenshot.log" >&2
    exit 1
}
timeout 180 "$CHROMIUM" "${FLAGS[@]}" --dump-dom "$URL" \
    >"$OUT/dom.html" 2>"$OUT/chromium-dom.log" || {
    echo "check_report_browser: chromium --dump-dom failed; see $OUT/chromium-dom.log" >&2
    exit 1
}

"$PY" - "$OUT" "$REPORT" <<'PYEOF'
import sys
from html.parser import HTMLParser
from pathlib import Path

from PIL import Image

out, report = Path(sys.argv[1]), sys.argv[2]
problems = []

# 1. Console messages and uncaught errors (Chromium logs them as ...:CONSOLE...] "text").
for log in ("chromium-screenshot.log", "chromium-dom.log"):
    for line in (out / log).read_text(errors="replace").splitlines():
        if ":CONSOLE" in line or "Uncaught" in line:
            problems.append(f"console: {line.split(']', 1)[-1].strip()[:200]}")

# 2. The DOM after loading: embedded images only, no external resources.
LOADERS = {"img": "src", "script": "src", "link": "href", "iframe": "src", "source": "src",
           "video": "src", "audio": "src", "embed": "src", "object": "data"}


class Scan(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.external, self.h1 = [], [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.h1 |= tag == "h1"
        if tag == "img":
            self.images.append(a.get("src") or "")
        url = a.get(LOADERS.get(tag, ""), "") or ""
        if tag != "img" and url and not url.startswith("data:"):
            self.external.append(f"<{tag}> {url[:80]}")


scan = Scan()
scan.feed((out / "dom.html").read_text(errors="replace"))
if not scan.h1:
    problems.append("dom: no <h1>; the page did not render the report")
if not scan.images:
    problems.append("dom: no <img>; the report has no figures")
for src in scan.images:
    if not src.startswith("data:image/"):
        problems.append(f"dom: <img src={src[:80]!r}> is not an embedded data:image URI")
problems += [f"dom: external resource {e}" for e in scan.external]

# 3. The screenshot is not blank: many colours, and some clearly coloured pixels (figures).
im = Image.open(out / "screenshot.png").convert("RGB")
colours = im.getcolors(maxcolors=1 << 24) or []
n_colours = len(colours)
chromatic = sum(c for c, (r, g, b) in colours if max(r, g, b) - min(r, g, b) > 60)
frac = chromatic / (im.width * im.height)
if n_colours < 64:
    problems.append(f"screenshot: only {n_colours} distinct colours; the page looks blank")
if frac < 0.001:
    problems.append(f"screenshot: {frac:.3%} coloured pixels; the figures did not render")

for p in problems:
    print(f"check_report_browser: {report}: {p}", file=sys.stderr)
print(
    f"{report}: {'FAILED' if problems else 'renders'}; screenshot {im.width}x{im.height} with "
    f"{n_colours} colours ({frac:.2%} coloured), {len(scan.images)} <img>; "
    f"files in {out}"
)
sys.exit(1 if problems else 0)
PYEOF
