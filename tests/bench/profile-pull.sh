#!/bin/bash
# Instruction counts of a fresh laptop's pull (deterministic, so a busy machine does
# not matter): generate a scale-1 town, push it to a central on loopback, then
# valgrind --tool=callgrind `huce --db fresh.db sync` into an empty laptop.
# usage: tests/bench/profile-pull.sh TREE OUTDIR   (TREE has build-bench/ built)
# read: callgrind_annotate --inclusive=yes OUTDIR/cg.pull
set -e
T=$1; O=$2; B=$T/build-bench
rm -rf $O; mkdir -p $O; cd $O
$B/tests/bench/huce-bench-gen --seed 1 --scale 1 --db dev.db --device dev1 --quiet > gen.json
tok=$($B/syncd/huce-syncd admin --store central.db device add dev1 | tail -n 1)
tok2=$($B/syncd/huce-syncd admin --store central.db device add fresh | tail -n 1)
$B/syncd/huce-syncd central --store central.db --listen 127.0.0.1:0 --port-file port > central.log 2>&1 &
CP=$!
for i in $(seq 50); do [ -s port ] && break; sleep 0.1; done
URL=http://127.0.0.1:$(cat port)
$B/client/huce --db dev.db enroll $URL $tok >/dev/null
$B/client/huce --db dev.db sync > push.out
$B/client/huce --db fresh.db init --device fresh >/dev/null
$B/client/huce --db fresh.db enroll $URL $tok2 >/dev/null
valgrind --tool=callgrind --callgrind-out-file=cg.pull --trace-children=no $B/client/huce --db fresh.db sync > pull.out 2> vg.err
kill $CP
cat push.out pull.out; grep refs vg.err
