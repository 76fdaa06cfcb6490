#!/usr/bin/env bash
# Sharded sweeps on a real Slurm cluster: bring up a throwaway single-node Slurm
# (slurm-local.sh), submit `watchsim slurm`'s array script for a small scenario with
# several shard counts and array ids (0-1, 5-7, 10-14:2: shards come from
# SLURM_ARRAY_TASK_* as Slurm sets them), wait, merge, and compare every CSV byte for
# byte with the unsharded run. The cluster is taken down on exit, also on failure.
#
# Environment:
#   SLURM_LOCAL_SH  path of slurm-local.sh (default: shared/tools/slurm-local.sh in the
#                   repository's parent folder or the nearest ancestor that has one, else
#                   slurm-local.sh on PATH, else /work/shared/tools/slurm-local.sh)
#   CI=true         a missing Slurm (no slurm-local.sh, not root) fails instead of skipping
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

say() { printf '[slurm test] %s\n' "$*" >&2; }
unavailable() {
    if [ "${CI:-}" = true ]; then
        say "FAIL: $* (CI=true: Slurm is required)"
        exit 1
    fi
    say "SKIP: $*"
    exit 0
}

find_slurm_local() {
    if [ -n "${SLURM_LOCAL_SH:-}" ]; then
        echo "$SLURM_LOCAL_SH"
        return
    fi
    local d=$root
    while [ "$d" != / ]; do
        d=$(dirname "$d")
        if [ -x "$d/shared/tools/slurm-local.sh" ]; then
            echo "$d/shared/tools/slurm-local.sh"
            return
        fi
    done
    # A clone elsewhere (e.g. under /tmp): the tool on PATH, or the team's shared folder.
    if command -v slurm-local.sh > /dev/null; then
        command -v slurm-local.sh
    elif [ -x /work/shared/tools/slurm-local.sh ]; then
        echo /work/shared/tools/slurm-local.sh
    else
        echo "$root/../shared/tools/slurm-local.sh"
    fi
}

slurm_local=$(find_slurm_local)
[ -x "$slurm_local" ] || unavailable "no slurm-local.sh at $slurm_local (set SLURM_LOCAL_SH)"
[ "$(id -u)" = 0 ] || unavailable "slurm-local.sh needs root"
command -v flock > /dev/null || unavailable "flock is missing"
export SLURM_LOCAL_ACCOUNTING=${SLURM_LOCAL_ACCOUNTING:-0}

cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$root/target}/release/watchsim
bin=$(cd "$(dirname "$bin")" && pwd)/watchsim

# One test at a time on this machine: another run's `down` would cancel our jobs.
exec 9> "${TMPDIR:-/tmp}/watchsim-slurm-test.lock"
flock -w 1200 9 || { say "FAIL: another Slurm test holds the lock"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/watchsim-slurm.XXXXXX")
chmod 755 "$tmp"
cleanup() {
    local rc=$?
    say "taking the cluster down"
    "$slurm_local" down > /dev/null 2>&1 || say "warning: slurm-local.sh down failed"
    if [ "$rc" = 0 ]; then rm -rf "$tmp"; else say "kept $tmp for inspection"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$(date +%s)
"$slurm_local" up
eval "$("$slurm_local" env)"
command -v sbatch > /dev/null || { say "FAIL: sbatch not found after up"; exit 1; }

# Four weeks, four replications (-r 4 on the command line): a few seconds of work.
sed -e 's/^days = 364$/days = 28/' scenarios/founders-2006.toml > "$tmp/s.toml"
grep -q '^days = 28$' "$tmp/s.toml" || { say "FAIL: could not shorten the scenario"; exit 1; }

say "unsharded run"
"$bin" run "$tmp/s.toml" -r 4 --trace -q --out "$tmp/full" > /dev/null

# name  shards  --array (empty: the script's own 0-(N-1))
cases=(
    "n2 2 "
    "n3 3 5-7"
    "n3step 3 10-14:2"
)
pids=()
for c in "${cases[@]}"; do
    read -r name shards array <<< "$c"
    "$bin" slurm "$tmp/s.toml" --shards "$shards" -r 4 --trace --time 00:10:00 \
        --partition debug --out "$tmp/$name" > "$tmp/$name.slurm.txt"
    grep -qx "#SBATCH --array=0-$((shards - 1))" "$tmp/$name/watchsim.sbatch"
    opts=()
    [ -n "$array" ] && opts=(--array="$array")
    say "sbatch ${opts[*]} $tmp/$name/watchsim.sbatch"
    timeout 600 sbatch --wait --parsable "${opts[@]}" "$tmp/$name/watchsim.sbatch" \
        > "$tmp/$name.jobid" 2> "$tmp/$name.sbatch.err" &
    pids+=($!)
done

failed=0
for i in "${!cases[@]}"; do
    read -r name shards array <<< "${cases[$i]}"
    if ! wait "${pids[$i]}"; then
        say "FAIL: array job $name did not complete: $(cat "$tmp/$name.sbatch.err")"
        tail -n 20 "$tmp/$name"/slurm-logs/* >&2 || true
        failed=1
        continue
    fi
    for ((s = 0; s < shards; s++)); do
        if [ ! -f "$tmp/$name/parts/shard-$s-of-$shards/manifest.json" ]; then
            say "FAIL: $name: no part for shard $s of $shards"
            failed=1
        fi
    done
    logs=$(cat "$tmp/$name"/slurm-logs/*)
    if [ "$array" = 5-7 ] && ! grep -q 'shard 2/3 (from SLURM_ARRAY_TASK_ID=7 ' <<< "$logs"; then
        say "FAIL: $name: task 7 of --array=5-7 did not run shard 2/3"
        failed=1
    fi
    if [ "$array" = 10-14:2 ] && ! grep -q 'shard 1/3 (from SLURM_ARRAY_TASK_ID=12 ' <<< "$logs"; then
        say "FAIL: $name: task 12 of --array=10-14:2 did not run shard 1/3"
        failed=1
    fi
    "$bin" merge "$tmp/$name/parts" --out "$tmp/$name" -q > /dev/null
    n=0
    for f in "$tmp/full"/*.csv; do
        n=$((n + 1))
        if ! cmp "$f" "$tmp/$name/$(basename "$f")"; then
            say "FAIL: $name: $(basename "$f") differs from the unsharded run"
            failed=1
        fi
    done
    extra=$(cd "$tmp/$name" && ls -- *.csv | grep -vxF -f <(cd "$tmp/full" && ls -- *.csv) || true)
    if [ -n "$extra" ]; then
        say "FAIL: $name: merge wrote CSVs the unsharded run did not: $extra"
        failed=1
    fi
    [ "$n" -ge 8 ] || { say "FAIL: only $n CSV files in the unsharded run"; failed=1; }
    charts=0
    for f in "$tmp/full"/*.png "$tmp/full"/*.svg; do
        [ -e "$f" ] || continue
        charts=$((charts + 1))
        if ! cmp "$f" "$tmp/$name/$(basename "$f")"; then
            say "FAIL: $name: chart $(basename "$f") differs from the unsharded run"
            failed=1
        fi
    done
    [ -f "$tmp/$name/index.html" ] || { say "FAIL: $name: the merge wrote no index.html"; failed=1; }
    say "$name: $shards shards (array ${array:-0-$((shards - 1))}, job $(cat "$tmp/$name.jobid")): $n CSVs and $charts charts byte-identical"
done

[ "$failed" = 0 ] || exit 1
say "passed in $(($(date +%s) - started)) s"
