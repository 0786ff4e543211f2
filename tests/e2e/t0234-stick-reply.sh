#!/bin/bash
# t0234-stick-reply.sh - the stick's reply is a pull (issue 15,
# PROTOCOL.md 3.3 and 3.4): the office writes each laptop the changes
# since its cursor with the pull's own page writer, the laptop's own
# records as stubs (2.2), so the reply is small, and after one round
# trip the laptop still equals the central, versions included.  Where a
# stub could not be checked (an entry refused in the same round, a
# quarantined entry held, a restored file) the records come whole.
#
# A laptop that syncs only by stick and whose file is restored from an
# older copy numbers its new entries from where the copy stood, under
# seqs the central has already acknowledged for other entries.  The
# office decides as the probe of an online push does (2.1): it takes
# them renumbered after its mark, and the laptop renumbers them the same
# way when it reads the reply (huce_outbox_answer), so one round trip
# converges with no record lost or doubled, also from a copy two rounds
# old (its export numbers are below the office's, its clock is not).

case "${HUCE:-}" in '' | /*) ;; *) HUCE=$PWD/$HUCE ;; esac
case "${HUCE_SYNCD:-}" in '' | /*) ;; *) HUCE_SYNCD=$PWD/$HUCE_SYNCD ;; esac
. "$(dirname "$0")/lib.sh"

C=$TRASH/c.db
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
h() { dev=$1; shift; "$HUCE" --db "$TRASH/$dev.db" "$@"; }
add() {	# add DEV HEAD [more]: prints the id
	dev=$1 head=$2
	shift 2
	h "$dev" household add --village 阿猛村 --group 一组 --head "$head" \
		--approach new-build --build self --type three-grid "$@" | tail -n 1
}
id_of() { h "$1" household list --json | jq -r --arg h "$2" '.[] | select(.head == $h) | .id'; }
# One stick round trip of DEV: export, the office's import, the reply.
round() {
	h "$1" export stick >"$TRASH/exp.out" &&
	adm import stick >"$TRASH/imp.out" 2>"$TRASH/imp.err" &&
	h "$1" import stick >"$TRASH/rep.out" 2>"$TRASH/rep.err"
}
# agree DEV: the laptop holds what the central holds: the household
# lists (every key, versions too) and the version of every record.
KINDS="'village','group','cadre','team','household','inspection','photo','target','conflict','review'"
agree() {
	adm household list --json | jq -S 'sort_by(.id)' >"$TRASH/cen.json" &&
	h "$1" household list --json | jq -S 'sort_by(.id)' >"$TRASH/lap.json" &&
	test_cmp "$TRASH/cen.json" "$TRASH/lap.json" &&
	sqlite3 "$C" "SELECT kind, id, version FROM record WHERE deleted = 0 AND
		kind IN ($KINDS) ORDER BY 2" >"$TRASH/cen.v" &&
	sqlite3 "$TRASH/$1.db" "SELECT * FROM (
		SELECT 'village', id, version FROM village WHERE deleted = 0 UNION ALL
		SELECT 'group', id, version FROM village_group WHERE deleted = 0 UNION ALL
		SELECT 'cadre', id, version FROM cadre WHERE deleted = 0 UNION ALL
		SELECT 'team', id, version FROM team WHERE deleted = 0 UNION ALL
		SELECT 'household', id, version FROM household WHERE deleted = 0 UNION ALL
		SELECT 'inspection', id, version FROM inspection WHERE deleted = 0 UNION ALL
		SELECT 'photo', id, version FROM photo WHERE deleted = 0 UNION ALL
		SELECT 'target', id, version FROM target WHERE deleted = 0 UNION ALL
		SELECT 'conflict', id, version FROM conflict WHERE deleted = 0 UNION ALL
		SELECT 'review', id, version FROM review WHERE deleted = 0) ORDER BY 2" >"$TRASH/lap.v" &&
	test_cmp "$TRASH/cen.v" "$TRASH/lap.v" &&
	test "$(h "$1" status --json | jq .pending)" = 0
}
# The stick's bytes of DEV's last round: up (batches), down (pages).
bytes() { cat stick/huce/$1/$2-*-[bc]*.huce | wc -c; }
censtate() {
	sqlite3 "$C" "SELECT * FROM record ORDER BY id; SELECT * FROM field ORDER BY 1, 2;
		SELECT name, hwm FROM device ORDER BY name"
}
# backup DEV / restore DEV: the laptop's file replaced by an older copy.
backup() { sqlite3 "$TRASH/$1.db" ".backup '$TRASH/$1.${2:-copy}'"; }
restore() {
	rm -f "$TRASH/$1.db" "$TRASH/$1.db-wal" "$TRASH/$1.db-shm" &&
	cp "$TRASH/$1.${2:-copy}" "$TRASH/$1.db"
}
heads() { adm household list --json | jq -r '.[].head' | sort; }
# people SEED N: N lines "ID-NUMBER PHONE LAT,LON", as varied as a real list.
people() {
	python3 -c '
import random, sys
r = random.Random(int(sys.argv[1]))
w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
for _ in range(int(sys.argv[2])):
	d = "5326%02d19%02d%02d%02d%03d" % (r.randint(1, 30), r.randint(40, 99),
		r.randint(1, 12), r.randint(1, 28), r.randint(0, 999))
	c = "10X98765432"[sum(int(a) * b for a, b in zip(d, w)) % 11]
	print(d + c, "139%08d" % r.randint(0, 99999999),
	      "%.6f,%.6f" % (r.uniform(21, 29), r.uniform(97, 106)))
' "$@"
}
# register DEV PREFIX SEED: 80 households of such people.
register() {
	i=0
	people "$3" 80 | while read -r idn phone gps; do
		i=$((i + 1))
		add "$1" "$2$i" --id-number "$idn" --phone "$phone" --gps "$gps" \
			--house-no "$i号" >/dev/null || exit 1
	done
}

{
	adm town 阿猛镇 &&
	printf "%s\n" "村委会,村民小组,户主姓名,挂包干部,改造方式,建设方式,厕所类型,施工队" \
		"阿猛村,一组,岩温,李干部,整厕新建,自建,三格化粪池式," \
		"阿猛村,一组,岩坎,李干部,整厕新建,统建,三格化粪池式,一队" >list.csv &&
	adm import list.csv --create &&
	for d in s1 s2 r1 r2; do
		adm device add $d --enroll-file $d.enroll && new_device $d &&
		h $d enroll $d.enroll || exit 1
	done &&
	mkdir stick
} >/dev/null 2>"$TRASH/setup.err" || { cat "$TRASH/setup.err"; exit 1; }

test_expect_success 'the reply carries the laptop own records as stubs, and is small' '
	round s1 && round s2 &&
	# s2 asks for whole records (as after a stub it could not check)
	sqlite3 s2.db "INSERT OR REPLACE INTO meta VALUES ('\''stick_whole'\'', '\''1'\'')" &&
	register s2 乙户 2 &&
	round s2 && cat "$TRASH/imp.out" &&
	grep -q "s2: export 2: applied 80, .*reply with 80 changes, 0 of them stubs" "$TRASH/imp.out" &&
	whole=$(bytes s2 down) && round s1 && agree s1 && agree s2 &&
	register s1 户主 1 &&
	yw=$(id_of s1 岩温) && h s1 household set "$yw" phone=13911112222 >/dev/null &&
	round s1 && cat "$TRASH/imp.out" &&
	grep -q "s1: export 3: applied 81, .*reply with 81 changes, 80 of them stubs" "$TRASH/imp.out" &&
	stubs=$(bytes s1 down) && echo "reply bytes: 80 records whole $whole, as stubs $stubs" &&
	test $((stubs * 2)) -lt "$whole" &&
	agree s1 &&
	test "$(h s1 household show "$yw" --json | jq -r .phone)" = 13911112222
'

test_expect_success 'two laptops on one stick: each gets the other whole, its own as stubs' '
	round s2 && agree s2 &&
	add s2 乙一 >/dev/null && add s1 甲一 >/dev/null &&
	h s1 export stick >/dev/null && h s2 export stick >/dev/null &&
	adm import stick >out && cat out &&
	grep -q "s1: export 4: applied 1, .*reply with 2 changes, 1 of them stubs" out &&
	grep -q "s2: export 4: applied 1, .*reply with 2 changes, 1 of them stubs" out &&
	h s1 import stick >/dev/null && h s2 import stick >/dev/null &&
	agree s1 && agree s2
'

test_expect_success 'an entry refused in the round: its record comes whole, the laptop converges' '
	# the office gives 二队 its first household after s1 last heard of it
	h s1 team add 二队 >/dev/null && round s1 && agree s1 &&
	printf "%s\n" "$(head -n 1 list.csv)" "阿猛村,一组,岩香,李干部,整厕新建,统建,三格化粪池式,二队" >l2.csv &&
	adm import l2.csv >/dev/null &&
	z=$(add s1 丙一) && h s1 household set "$z" build=contracted team=二队 >/dev/null &&
	add s1 丙二 >/dev/null &&
	round s1 && cat "$TRASH/imp.out" "$TRASH/rep.out" &&
	grep -q "rejected 1, .*0 of them stubs" "$TRASH/imp.out" &&
	grep -q "quarantined 1" "$TRASH/rep.out" && ! grep -q stub "$TRASH/rep.err" &&
	test "$(h s1 household show "$z" --json | jq -r .build)" = self &&
	test "$(h s1 status --json | jq .quarantined)" = 1 &&
	agree s1
'

test_expect_success 'while the laptop holds a quarantined entry, its records come whole' '
	z=$(id_of s1 丙一) && h s1 household set "$z" phone=13955556666 >/dev/null &&
	round s1 && cat "$TRASH/imp.out" &&
	grep -q "0 of them stubs" "$TRASH/imp.out" && ! grep -q stub "$TRASH/rep.err" &&
	agree s1 && test "$(adm household show "$z" --json | jq -r .phone)" = 13955556666 &&
	h s1 quarantine drop "$(h s1 quarantine --json | jq ".[0].seq")" >/dev/null &&
	h s1 household set "$z" phone=13955557777 >/dev/null &&
	round s1 && grep -q "reply with 1 changes, 1 of them stubs" "$TRASH/imp.out" && agree s1
'

test_expect_success 'a stub the laptop cannot check: the rest comes whole next round' '
	z=$(id_of s1 丙一) && h s1 household set "$z" house_no=9号 >/dev/null &&
	add s1 丙三 >/dev/null &&
	h s1 export stick >/dev/null && adm import stick >out && grep -q "2 of them stubs" out &&
	# stands for any stub the laptop cannot check: the newest entry of
	# that record is not the one the central names
	sqlite3 s1.db "UPDATE outbox SET hlc = '\''0000000000000001'\''
		WHERE seq = (SELECT max(seq) FROM outbox WHERE record_id = '\''$z'\'')" &&
	h s1 import stick >out 2>err && cat out err && grep -q "cannot check" err &&
	test "$(sqlite3 s1.db "SELECT value FROM meta WHERE key = '\''stick_whole'\''")" = 1 &&
	h s1 status --json | jq -e ".pending == 0" >/dev/null &&
	round s1 && grep -q "0 of them stubs" "$TRASH/imp.out" &&
	agree s1 &&
	test "$(sqlite3 s1.db "SELECT value FROM meta WHERE key = '\''stick_whole'\''")" = 0
'

test_expect_success 'a restored laptop syncing by stick only: renumbered, nothing lost or doubled' '
	round r1 &&
	for x in a1 a2 a3; do add r1 $x >/dev/null || return 1; done &&
	round r1 && agree r1 &&
	backup r1 &&
	for x in b1 b2 b3; do add r1 $x >/dev/null || return 1; done &&
	h r1 household set "$(id_of r1 a1)" type=double-urn >/dev/null &&
	round r1 && agree r1 &&
	hwm=$(sqlite3 "$C" "SELECT hwm FROM device WHERE name = '\''r1'\''") &&
	heads >h0 && grep -q "^b3$" h0 &&
	restore r1 &&
	for x in c1 c2; do add r1 $x >/dev/null || return 1; done &&
	h r1 household set "$(id_of r1 a2)" type=biogas >/dev/null &&
	round r1 && cat "$TRASH/exp.out" "$TRASH/imp.out" "$TRASH/imp.err" "$TRASH/rep.out" "$TRASH/rep.err" &&
	grep -q "r1: export [0-9]*: applied 3, skipped 0, rejected 0" "$TRASH/imp.out" &&
	grep -q "older than what the central" "$TRASH/imp.err" &&
	grep -q "older than what the central already has" "$TRASH/rep.err" &&
	test "$(sqlite3 "$C" "SELECT hwm FROM device WHERE name = '\''r1'\''")" = $((hwm + 3)) &&
	test "$(sqlite3 r1.db "SELECT value FROM meta WHERE key = '\''acked_seq'\''")" = $((hwm + 3)) &&
	{ cat h0 && echo c1 && echo c2; } | sort >want && heads >got && test_cmp want got &&
	test "$(adm household show "$(id_of r1 a1)" --json | jq -r .type)" = double-urn &&
	test "$(adm household show "$(id_of r1 a2)" --json | jq -r .type)" = biogas &&
	test "$(adm conflicts --json | jq length)" = 0 &&
	agree r1 &&
	# one more round changes nothing at the central
	censtate >before && round r1 && grep -q "applied 0, skipped 0" "$TRASH/imp.out" &&
	censtate >after && test_cmp before after && agree r1
'

test_expect_success 'a restored laptop stick imported twice, or cut by kill -9: as once' '
	backup r1 && add r1 k0 >/dev/null && round r1 && agree r1 &&
	restore r1 &&
	for i in $(seq 1 40); do add r1 k$i >/dev/null || return 1; done &&
	h r1 export stick >/dev/null &&
	for d in 0.05 0.1 0.2 0.3 0.5; do
		{ "$HUCE_SYNCD" admin --store "$C" import stick >/dev/null 2>&1 & pid=$!
		  sleep $d; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null; } || :
	done &&
	adm import stick >/dev/null 2>&1 && censtate >before &&
	adm import stick >out 2>err && cat out && grep -q "r1: export [0-9]*: applied 0, skipped 40" out &&
	censtate >after && test_cmp before after &&
	h r1 import stick >/dev/null 2>err && grep -q "older than what the central" err &&
	adm import stick >/dev/null 2>&1 && censtate >after && test_cmp before after &&
	h r1 import stick >out && grep -q "applied before" out &&
	agree r1 && heads | grep -c "^k[0-9]*$" >n && echo 41 | test_cmp - n &&
	test "$(sqlite3 "$C" "SELECT hwm FROM device WHERE name = '\''r1'\''")" = \
	     "$(sqlite3 r1.db "SELECT value FROM meta WHERE key = '\''acked_seq'\''")"
'

test_expect_success 'another laptop file renamed as a part of this one: refused' '
	add s1 丁一 >/dev/null && add s2 丁二 >/dev/null &&
	h s1 export stick >/dev/null && h s2 export stick >/dev/null &&
	censtate >before && mkdir -p keep1 && rm -f keep1/* && cp stick/huce/s1/up-* keep1/ &&
	b1=$(ls stick/huce/s1/up-*-b1.huce) && cp stick/huce/s2/up-*-b1.huce "$b1" &&
	expect_exit 3 adm import stick >out 2>err && cat err &&
	grep -q "s1:.*not the file its manifest names" err &&
	# s2 folder is still taken; s1 stores nothing
	grep -q "s2: export" out && test "$(id_of s1 丁一)" != "" &&
	adm household list --json | jq -e "map(.head) | index(\"丁一\") == null" >/dev/null &&
	cp keep1/* stick/huce/s1/ && adm import stick >/dev/null &&
	h s1 import stick >/dev/null && h s2 import stick >/dev/null && agree s1 && agree s2
'

test_expect_success 'a laptop restored from a copy two rounds old: its export is not a replay' '
	backup r1 &&
	add r1 d1 >/dev/null && round r1 && add r1 d2 >/dev/null && round r1 && agree r1 &&
	restore r1 && add r1 e1 >/dev/null &&
	round r1 && cat "$TRASH/imp.out" "$TRASH/imp.err" "$TRASH/rep.out" &&
	grep -q "applied 1" "$TRASH/imp.out" &&
	heads | grep -c "^[de][12]$" >n && echo 3 | test_cmp - n &&
	agree r1
'

test_expect_success 'a restored laptop with nothing new: one round brings back what its copy lacks' '
	backup r1 && add r1 f1 >/dev/null && round r1 && agree r1 &&
	restore r1 && test -z "$(id_of r1 f1)" &&
	round r1 && cat "$TRASH/imp.out" && grep -q "0 of them stubs" "$TRASH/imp.out" &&
	test -n "$(id_of r1 f1)" && agree r1 &&
	add r1 f2 >/dev/null && round r1 && agree r1 &&
	heads | grep -c "^f[12]$" >n && echo 2 | test_cmp - n
'

test_expect_success 'the reply of the lost copy is not taken by the restored file' '
	backup r1 && add r1 g1 >/dev/null && round r1 &&
	restore r1 && add r1 g2 >/dev/null &&
	# the same export number as the lost file took: its reply is on the stick
	h r1 export stick >/dev/null &&
	n=$(sqlite3 r1.db "SELECT value FROM meta WHERE key = '\''stick_export'\''") &&
	test -f stick/huce/r1/down-$n.huce &&
	lapstate() { sqlite3 r1.db "SELECT * FROM outbox; SELECT * FROM household;
		SELECT value FROM meta WHERE key IN ('\''acked_seq'\'', '\''cursor'\'')"; } &&
	lapstate >lb &&
	expect_exit 3 h r1 import stick 2>err && cat err && grep -q "did not write" err &&
	lapstate >la && test_cmp lb la &&
	adm import stick >/dev/null && h r1 import stick >/dev/null && agree r1 &&
	heads | grep -c "^g[12]$" >n && echo 2 | test_cmp - n
'

test_expect_success 'a reply read after the next export was written: nothing lost or doubled' '
	backup r1 && add r1 h1 >/dev/null && round r1 &&
	restore r1 && add r1 h2 >/dev/null &&
	h r1 export stick >/dev/null && adm import stick >/dev/null &&
	# the next export is written before the reply to this one is read:
	# it numbers h2 as the copy did
	add r1 h3 >/dev/null && h r1 export stick >/dev/null &&
	h r1 import stick >/dev/null 2>err && grep -q "older than what the central" err &&
	adm import stick >/dev/null && h r1 import stick >/dev/null &&
	round r1 && agree r1 &&
	heads | grep -c "^h[123]$" >n && echo 3 | test_cmp - n &&
	test "$(adm conflicts --json | jq length)" = 0
'

test_expect_success 'huce status says what waits for the stick' '
	round r2 && add r2 x1 >/dev/null &&
	h r2 status >st && cat st &&
	grep -q "^stick .*1 changes and 0 photos wait for the central; last export 1 at .*its reply applied" st &&
	h r2 status --json | jq -e ".stick.enrolled and .stick.pending == 1 and .stick.last_export == 1" >/dev/null &&
	h r2 export stick >/dev/null && h r2 status >st &&
	grep -q "last export 2 at .*its reply not yet applied" st &&
	adm import stick >/dev/null && h r2 import stick >/dev/null &&
	h r2 status --json | jq -e ".stick.pending == 0 and .stick.reply_applied == 2" >/dev/null
'

test_done
