#!/usr/bin/env bash
# Regenerates the pictures of the reading room in docs/ (shown in the
# README): two charts as the CLI draws them, and the page at 1280x800 and
# on a narrow window, in Debian's headless Chromium. Run from anywhere:
#
#     bash docs/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/annals
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" --db "$work/store" import fixtures/rare-earths.jsonl 2>/dev/null
"$bin" --db "$work/store" query 'curve china.export_quota_change for 2011' --format svg > docs/curve.svg
"$bin" --db "$work/store" query 'china.share_of_world_reserves' --format svg > docs/reserves.svg
"$bin" --db "$work/store" serve --addr 127.0.0.1:7879 2>/dev/null &
server=$!
sleep 1
shot() {
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$work/profile" --hide-scrollbars --window-size="$1" \
        --virtual-time-budget=10000 --screenshot="$2" "$3" 2>/dev/null
}
page='http://127.0.0.1:7879/#q=china.export_quota_change%20for%202011%20as%20known%20nov%202010&click=wsj-2010-10-19-quota-cut-2011'
shot 1280,800 docs/reading-room.png "$page"
shot 420,900 docs/reading-room-narrow.png 'http://127.0.0.1:7879/#q=curve%20china.export_quota_change%20for%202010'
echo "docs/: curve.svg reserves.svg reading-room.png reading-room-narrow.png"
