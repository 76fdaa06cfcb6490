#!/usr/bin/env bash
# Golden sums: runs the shipped scenarios at 2 replications and compares the SHA-256 of
# every CSV they write with tests/golden.sha256. A change of outputs is either
# deliberate (refresh the sums in the same commit with `tests/golden.sh --update` and
# say why) or a bug this just caught.
#
#   tests/golden.sh            check (exit 1 and a diff on any change)
#   tests/golden.sh --update   rewrite tests/golden.sha256
#
# Environment: WATCHSIM (the binary; default: target/release/watchsim, built if absent).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
sums=tests/golden.sha256
bin=${WATCHSIM:-target/release/watchsim}
[ -x "$bin" ] || cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for file in scenarios/*.toml; do
    name=$(basename "$file" .toml)
    timeout 600 "$bin" run "$file" -r 2 --quiet --out "$work/$name" >/dev/null
done
# incidents.csv too, for one scenario (the others' traces are large).
timeout 600 "$bin" run scenarios/dst-misalignment.toml -r 1 --trace --quiet --out "$work/trace" >/dev/null
rm -f "$work"/trace/[!i]*.csv
(cd "$work" && find . -name '*.csv' -not -path '*/parts/*' | LC_ALL=C sort | xargs sha256sum) >"$work/now.sha256"
if [ "${1:-}" = --update ]; then
    cp "$work/now.sha256" "$sums"
    echo "golden: wrote $sums ($(wc -l <"$sums") files)"
    exit 0
fi
if ! diff -u "$sums" "$work/now.sha256"; then
    echo "golden: the CSV outputs of the shipped scenarios changed (see the diff above);" \
        "if that is deliberate, run tests/golden.sh --update and say why in the commit" >&2
    exit 1
fi
echo "golden: $(wc -l <"$sums") CSV files of the shipped scenarios are byte-identical"
