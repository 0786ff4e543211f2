#!/bin/bash
# crash.sh - kill -9 at random instants, then prove nothing was lost or
# duplicated (DESIGN.md section 8, first property).
#
#   HUCE=.../huce HUCE_SYNCD=.../huce-syncd tests/fault/crash.sh --kills N [--seed S]
#
# A real central runs on 127.0.0.1 on a port chosen once (port 0, then
# the same port on every restart); three laptops (d1..d3) are enrolled.
# Each trial starts one piece of work and sends SIGKILL after a random
# delay, drawn from [0, H) where H adapts per kind of trial so that about
# a third of the delays fall after the work has finished (so kills cover
# the whole life of the process, including its last commit):
#
#   cli      `huce household add` or `huce inspect` (pass or fail, so a
#            rectification and a status change ride in the same
#            transaction) on a random laptop
#   fill     `loaddriver fill`: a writer in a loop of one-record
#            transactions (the same huce_local path as the CLI), so the
#            kill lands inside a transaction far more often
#   agent    `huce-syncd agent --once` or `huce sync` on a laptop whose
#            outbox holds at least --bulk records and which usually has
#            much to pull; one time in three a writer keeps writing to
#            the same laptop meanwhile
#   central  the central, while all three laptops push and pull at once;
#            it is restarted on the same store and port
#
# A cli, fill or agent trial counts as a kill only if its process was
# still running when the signal came; every central kill counts, and the
# summary says how many came while a sync was in flight.  Every command
# that exited 0 and printed its id (or, for fill, printed the record's
# line) reported that record as stored; the ids go to a list per laptop.
# After each kill the killed process's database passes integrity_check.
#
# The kills come in epochs (--epoch, 100 by default), each with a fresh
# central and fresh laptops, so that a long soak does not slow down with
# its own history.  At the end of an epoch every laptop syncs until a
# whole round pushes and pulls nothing, and the driver checks:
#   - every reported record is on its laptop and at the central, live;
#   - no head or note (each command's unique tag) is stored twice, on a
#     laptop or at the central; no outbox seq was applied at two versions;
#   - each laptop's outbox seqs are 1..max with no hole, all acknowledged
#     (none pending, none quarantined), the central's high-water mark for
#     the laptop is its last seq, and every entry is in the central's
#     history (nothing acknowledged and dropped);
#   - integrity_check is ok on every database; no conflict was made;
#   - every laptop's `household list --json` equals the central's
#     `admin household list --json` (versions aside), and the laptops
#     hold exactly the central's live inspections.
# It prints `kills=N lost=L duplicated=D` last and exits 1 when L or D is
# not 0 or any check failed, 2 on a usage or set-up error.  The work
# directory is kept after a failure (or with --keep) and named.  Needs
# sqlite3 and jq.

set -u

usage() {
	cat <<'EOF'
usage: tests/fault/crash.sh --kills N [--seed S] [--epoch N] [--bulk N] [--fill N]
                            [--keep] [--verbose]
  --kills N   SIGKILLs to deliver (only kills of a running process count)
  --seed S    seed of the random choices (default: from the clock; printed)
  --bulk N    records a laptop's outbox is filled to before an agent or
              central trial (default 300)
  --fill N    records a killed `loaddriver fill` sets out to write (300)
  --epoch N   kills per epoch (default 100): each epoch has a fresh central
              and fresh laptops, and ends with convergence and every check
  --keep      keep the work directory
  --verbose   one line per trial (delay, window, exit status) and per epoch
environment: HUCE, HUCE_SYNCD (the binaries), LOADDRIVER (default
$HUCE_BUILDDIR/tests/tools/loaddriver, else next to huce's build dir)
EOF
}

KILLS=""
SEED=""
BULK=300
FILL=300
EPOCH_KILLS=100
KEEP=""
VERBOSE=""
while [ $# -gt 0 ]; do
	case $1 in
	--kills) KILLS=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
	--seed) SEED=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
	--bulk) BULK=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
	--fill) FILL=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
	--epoch) EPOCH_KILLS=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
	--keep) KEEP=1; shift ;;
	--verbose) VERBOSE=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
case $KILLS in '' | *[!0-9]*) usage >&2; exit 2 ;; esac
case $BULK in '' | *[!0-9]*) usage >&2; exit 2 ;; esac
case $FILL in '' | 0 | *[!0-9]*) usage >&2; exit 2 ;; esac
case $EPOCH_KILLS in '' | 0 | *[!0-9]*) usage >&2; exit 2 ;; esac
[ -n "$SEED" ] || SEED=$(( (10#$(date +%N) / 1000 + $$) % 1000000 ))
case $SEED in *[!0-9]*) usage >&2; exit 2 ;; esac

: "${HUCE:?HUCE must point to the huce binary}"
: "${HUCE_SYNCD:?HUCE_SYNCD must point to the huce-syncd binary}"
abspath() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
HUCE=$(abspath "$HUCE")
HUCE_SYNCD=$(abspath "$HUCE_SYNCD")
if [ -z "${LOADDRIVER:-}" ]; then
	if [ -n "${HUCE_BUILDDIR:-}" ]; then
		LOADDRIVER=$HUCE_BUILDDIR/tests/tools/loaddriver
	else
		LOADDRIVER=$(dirname "$(dirname "$HUCE")")/tests/tools/loaddriver
	fi
fi
LOADDRIVER=$(abspath "$LOADDRIVER")
for x in "$HUCE" "$HUCE_SYNCD" "$LOADDRIVER"; do
	[ -x "$x" ] || { echo "crash.sh: no executable $x" >&2; exit 2; }
done
for x in sqlite3 jq; do
	command -v $x >/dev/null || { echo "crash.sh: needs $x" >&2; exit 2; }
done

TOP=$(mktemp -d "${TMPDIR:-/tmp}/huce-crash.XXXXXX")
W=""
C=""
DEVS="d1 d2 d3"
CPID=""
PORT=0
CSTARTS=0
FAILED=0
RANDOM=$SEED

cleanup() {
	if [ -n "$CPID" ]; then
		kill "$CPID" 2>/dev/null
		{ wait "$CPID"; } 2>/dev/null
	fi
	if [ "$FAILED" = 0 ] && [ -z "$KEEP" ]; then
		rm -rf "$TOP"
	else
		echo "# work directory kept: $TOP"
	fi
}
trap cleanup EXIT

say() { echo "# $*"; }
vsay() { [ -z "$VERBOSE" ] || echo "# $*"; }
fail() { echo "# FAIL: epoch $EPOCH: $*"; FAILED=$((FAILED + 1)); }
sq() { sqlite3 -batch -noheader "$@"; }
h() { local d=$1; shift; "$HUCE" --db "$W/$d.db" "$@"; }
adm() { "$HUCE_SYNCD" admin --store "$C" "$@"; }
# rnd N: a random number in [0, N) in RND (not $(...): a subshell's
# draws would not advance the seeded sequence).
rnd() { RND=$(( (RANDOM * 32768 + RANDOM) % $1 )); }
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
is_uuid() { [[ $1 =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# integrity DB WHAT: PRAGMA integrity_check must say ok.
integrity() {
	local r
	r=$(sq "$1" 'PRAGMA integrity_check' 2>&1)
	[ "$r" = ok ] || fail "integrity_check of $2 ($1) after a kill: $r"
}

# sanitized FILE WHAT: a sanitizer report in a process's output is a
# finding even when the process was then killed or its exit looked like
# an ordinary failure (a sync exiting 1 is otherwise retried).
SAN_RE='ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:'
sanitized() {
	if grep -Eq "$SAN_RE" "$1" 2>/dev/null; then
		SANITIZER=$((SANITIZER + 1))
		fail "sanitizer report from $2: $(grep -Em1 "$SAN_RE" "$1")"
		cp "$1" "$W/sanitizer.$SANITIZER.txt"
	fi
}

# start_central: on port 0 the very first time, then always that port.
start_central() {
	local pf
	for _ in 1 2 3 4 5; do
		CSTARTS=$((CSTARTS + 1))
		pf=$W/port.$CSTARTS
		"$HUCE_SYNCD" central --store "$C" --listen "127.0.0.1:$PORT" \
			--port-file "$pf" >>"$W/central.log" 2>&1 &
		CPID=$!
		for _ in $(seq 1 400); do
			[ -s "$pf" ] && break
			kill -0 "$CPID" 2>/dev/null || break
			sleep 0.025
		done
		if [ -s "$pf" ]; then
			PORT=$(cat "$pf")
			return 0
		fi
		kill -9 "$CPID" 2>/dev/null
		{ wait "$CPID"; } 2>/dev/null
		CPID=""
		sleep 0.2
	done
	echo "crash.sh: the central does not start; see $W/central.log" >&2
	tail -5 "$W/central.log" >&2
	return 1
}

stop_central() {
	[ -n "$CPID" ] || return 0
	kill "$CPID" 2>/dev/null
	{ wait "$CPID"; } 2>/dev/null
	CPID=""
}

# a completion inspection carries its after and plaque photos (photo_required)
ACCEPT_JPEG=$(cd "$(dirname "$0")/../.." && pwd)/scripts/demo-photo.jpg
ITEMS_OK=(--item tank_volume=2 --item walls_roof_door=yes --item room_area=1.5
	--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes
	--photo "after=$ACCEPT_JPEG" --photo "plaque=$ACCEPT_JPEG")
ITEMS_BAD=(--item tank_volume=1.2 --item walls_roof_door=yes --item room_area=1.5
	--item no_leak=yes --item sealed_cover=yes --item no_exposed_waste=yes
	--photo "after=$ACCEPT_JPEG" --photo "plaque=$ACCEPT_JPEG")

# Upper bound of the kill delay, in ms, per kind; adapted as we go and
# carried from one epoch to the next.
declare -A HI=([cli]=120 [fill]=1500 [agent]=1500 [central]=1500)
declare -A NKILL=([cli]=0 [fill]=0 [agent]=0 [central]=0)
declare -A NMISS=([cli]=0 [fill]=0 [agent]=0 [central]=0)
declare -A MS=([cli]=0 [fill]=0 [agent]=0 [central]=0)
CENTRAL_INFLIGHT=0
CONCURRENT=0
SANITIZER=0
ERRORS=0
FILLS=0
KILLED=0
TRIALS=0
LOST=0
DUP=0
REPORTED=0
EV_BATCHES=0
EV_REPLAYED=0
EV_409=0
EV_429=0
EV_PAGES=0

# adapt KIND HIT: grow the window after a kill, shrink it after a miss.
adapt() {
	local k=$1
	if [ "$2" = 1 ]; then
		HI[$k]=$(( HI[$k] * 11 / 10 + 1 ))
		[ "${HI[$k]}" -le 30000 ] || HI[$k]=30000
		NKILL[$k]=$(( NKILL[$k] + 1 ))
	else
		HI[$k]=$(( HI[$k] * 85 / 100 ))
		[ "${HI[$k]}" -ge 5 ] || HI[$k]=5
		NMISS[$k]=$(( NMISS[$k] + 1 ))
	fi
}

# run_killed KIND OUT CMD...: run CMD in the background, SIGKILL it after
# a random delay; sets RC (137 = killed).  CMD must be a program, not a
# function, so that $! is its own pid.
run_killed() {
	local kind=$1 out=$2 pid delay
	shift 2
	rnd "${HI[$kind]}"
	delay=$RND
	"$@" >"$out" 2>"$out.err" &
	pid=$!
	sleep_ms "$delay"
	kill -9 "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null
	RC=$?
	sanitized "$out.err" "$kind ($*)"
	vsay "$kind: delay ${delay}ms of ${HI[$kind]} -> exit $RC"
}

# note_fill DEV FILE: the complete "KIND ID TAG" lines are stored records.
note_fill() {
	grep -E '^(household|inspection) [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} [^ ]+$' \
		"$2" >>"$W/rep.$1"
}

# bulk DEV: fill DEV's outbox up to $BULK pending entries (not killed).
bulk() {
	local d=$1 pend rc
	pend=$(sq "$W/$d.db" "SELECT count(*) FROM outbox WHERE state = 'pending'")
	[ "$pend" -lt "$BULK" ] || return 0
	FILLS=$((FILLS + 1))
	"$LOADDRIVER" fill --db "$W/$d.db" --records $((BULK - pend)) \
		--tag "b$FILLS$d" --village 阿猛村 --group 第一组 >"$W/bulk.out" 2>"$W/bulk.err"
	rc=$?
	sanitized "$W/bulk.err" "bulk fill"
	note_fill "$d" "$W/bulk.out"
	if [ "$rc" != 0 ]; then
		ERRORS=$((ERRORS + 1))
		fail "bulk fill of $d exited $rc: $(tail -n 1 "$W/bulk.err")"
	fi
}

trial_cli() {
	local d=$1 t=$2 tag hh id what out=$W/cmd.out
	local hx=("$HUCE" --db "$W/$d.db")
	rnd 100
	if [ "$RND" -lt 35 ] && grep -q '^household ' "$W/rep.$d"; then
		mapfile -t hhs < <(grep '^household ' "$W/rep.$d" | cut -d' ' -f2)
		rnd ${#hhs[@]}
		hh=${hhs[$RND]}
		tag="n$t$d"
		rnd 2
		if [ "$RND" = 0 ]; then
			run_killed cli "$out" "${hx[@]}" inspect "$hh" --stage completion \
				--inspector 甲 "${ITEMS_OK[@]}" --note "$tag"
		else
			run_killed cli "$out" "${hx[@]}" inspect "$hh" --stage completion \
				--inspector 乙 "${ITEMS_BAD[@]}" --note "$tag"
		fi
		what=inspection
	else
		tag="c$t$d"
		run_killed cli "$out" "${hx[@]}" household add --village 阿猛村 --group 第一组 \
			--head "$tag" --approach new-build --build self --type three-grid
		what=household
	fi
	if [ "$RC" = 0 ]; then
		id=$(tail -n 1 "$out")
		if is_uuid "$id"; then
			echo "$what $id $tag" >>"$W/rep.$d"
		else
			fail "trial $t: $what on $d exited 0 without an id"
		fi
	elif [ "$RC" != 137 ]; then
		ERRORS=$((ERRORS + 1))
		fail "trial $t: $what on $d exited $RC: $(tail -n 1 "$out.err")"
	fi
	[ "$RC" = 137 ] && integrity "$W/$d.db" "$d"
	return 0
}

trial_fill() {
	local d=$1 t=$2
	run_killed fill "$W/fill.out" "$LOADDRIVER" fill --db "$W/$d.db" --records "$FILL" \
		--tag "f$t$d" --village 阿猛村 --group 第一组
	note_fill "$d" "$W/fill.out"
	if [ "$RC" != 137 ] && [ "$RC" != 0 ]; then
		ERRORS=$((ERRORS + 1))
		fail "trial $t: fill on $d exited $RC: $(tail -n 1 "$W/fill.out.err")"
	fi
	[ "$RC" = 137 ] && integrity "$W/$d.db" "$d"
	return 0
}

trial_agent() {
	local d=$1 t=$2 wpid="" rc
	bulk "$d"
	# One time in three the cadre keeps writing while the sync runs and
	# dies: local edits made during a push and a pull must survive both.
	rnd 3
	if [ "$RND" = 0 ]; then
		"$LOADDRIVER" fill --db "$W/$d.db" --records 40 --tag "w$t$d" \
			--village 阿猛村 --group 第一组 >"$W/writer.out" 2>"$W/writer.err" &
		wpid=$!
		CONCURRENT=$((CONCURRENT + 1))
	fi
	rnd 2
	if [ "$RND" = 0 ]; then
		run_killed agent "$W/agent.out" "$HUCE_SYNCD" agent --db "$W/$d.db" --once
	else
		run_killed agent "$W/agent.out" "$HUCE" --db "$W/$d.db" sync
	fi
	if [ -n "$wpid" ]; then
		{ wait "$wpid"; } 2>/dev/null
		rc=$?
		sanitized "$W/writer.err" "writer"
		note_fill "$d" "$W/writer.out"
		if [ "$rc" != 0 ]; then
			ERRORS=$((ERRORS + 1))
			fail "trial $t: a writer beside the sync exited $rc: $(tail -n 1 "$W/writer.err")"
		fi
	fi
	# A sync that fails (a 429 on a pull, say) is retried by the next
	# one; a crash would be a finding, and the end shows any loss.
	case $RC in 0 | 1 | 137) ;; *)
		ERRORS=$((ERRORS + 1))
		fail "trial $t: sync of $d exited $RC: $(tail -n 1 "$W/agent.out.err")" ;;
	esac
	[ "$RC" = 137 ] && integrity "$W/$d.db" "$d"
	return 0
}

# The central dies while all three laptops push and pull; it restarts
# on the same store and port.  Every such kill counts; the window adapts
# so that most of them land while a sync is in flight.
trial_central() {
	local t=$1 d delay pids="" busy=0 p rc
	rnd 3
	set -- $DEVS
	shift "$RND"
	bulk "$1"
	for d in $DEVS; do
		"$HUCE_SYNCD" agent --db "$W/$d.db" --once >"$W/c.$d.out" 2>&1 &
		pids="$pids $!"
	done
	rnd "${HI[central]}"
	delay=$RND
	sleep_ms "$delay"
	for p in $pids; do
		kill -0 "$p" 2>/dev/null && busy=1
	done
	kill -9 "$CPID"
	{ wait "$CPID"; } 2>/dev/null
	CPID=""
	for p in $pids; do
		{ wait "$p"; } 2>/dev/null
		rc=$?
		case $rc in 0 | 1) ;; *)
			ERRORS=$((ERRORS + 1))
			fail "trial $t: an agent exited $rc while the central died" ;;
		esac
	done
	for d in $DEVS; do sanitized "$W/c.$d.out" "agent during a central kill"; done
	vsay "central: delay ${delay}ms of ${HI[central]}, syncs in flight: $busy"
	integrity "$C" central
	adapt central "$busy"
	[ "$busy" = 1 ] && CENTRAL_INFLIGHT=$((CENTRAL_INFLIGHT + 1))
	NKILL[central]=$(( NKILL[central] + 1 - busy ))
	NMISS[central]=$(( NMISS[central] - 1 + busy ))
	start_central || { FAILED=$((FAILED + 1)); exit 2; }
	RC=137
}

# ------------------------------------------------------------------
# one epoch: a fresh central and three enrolled laptops, N kills, then
# convergence and every check.  Epochs keep the stores small enough that
# a long soak does not slow down with its own history.

setup_epoch() {
	W=$TOP/e$EPOCH
	C=$W/central.db
	mkdir -p "$W"
	{
		adm town 阿猛镇 &&
		for d in $DEVS; do adm device add "$d" | tail -n 1 >"$W/tok.$d" || return 1; done &&
		start_central &&
		for d in $DEVS; do
			h "$d" init --device "$d" --town 阿猛镇 &&
			h "$d" enroll "http://127.0.0.1:$PORT" "$(cat "$W/tok.$d")" || return 1
			: >"$W/rep.$d"
		done &&
		h d1 village add 阿猛村 && h d1 group add --village 阿猛村 第一组 &&
		h d1 cadre add 甲 --role 验收组 && h d1 cadre add 乙 --role 验收组 &&
		h d1 cadre add 验收员 --role 验收组 &&
		h d1 sync && h d2 sync && h d3 sync
	} >"$W/setup.log" 2>&1
}

kill_loop() {
	local want=$1 got=0 tries=0 max=$(( $1 * 20 + 20 )) d r t0 kind
	while [ "$got" -lt "$want" ] && [ "$tries" -lt "$max" ]; do
		tries=$((tries + 1))
		TRIALS=$((TRIALS + 1))
		set -- $DEVS
		rnd 3
		shift "$RND"
		d=$1
		rnd 100
		r=$RND
		t0=$(now_ms)
		if [ "$r" -lt 35 ]; then
			kind=cli; trial_cli "$d" "$TRIALS"
		elif [ "$r" -lt 55 ]; then
			kind=fill; trial_fill "$d" "$TRIALS"
		elif [ "$r" -lt 82 ]; then
			kind=agent; trial_agent "$d" "$TRIALS"
		else
			kind=central; trial_central "$TRIALS"
		fi
		MS[$kind]=$(( MS[$kind] + $(now_ms) - t0 ))
		if [ "$kind" = central ]; then
			got=$((got + 1))
		elif [ "$RC" = 137 ]; then
			adapt "$kind" 1
			got=$((got + 1))
		else
			adapt "$kind" 0
		fi
	done
	KILLED=$((KILLED + got))
	[ "$got" -ge "$want" ] && return 0
	fail "only $got kills in $tries trials"
	return 1
}

# converge: sync every laptop until a whole round moves nothing.
converge() {
	local round moved d line r
	for round in $(seq 1 15); do
		moved=0
		for d in $DEVS; do
			h "$d" sync >"$W/sync.out" 2>&1
			r=$?
			sanitized "$W/sync.out" "huce sync"
			if [ "$r" != 0 ]; then
				moved=1
				vsay "round $round: $d: $(tail -n 1 "$W/sync.out")"
				sleep 0.5
				continue
			fi
			line=$(grep -E '^pushed ' "$W/sync.out" | tail -n 1)
			case $line in
			"pushed 0, quarantined 0, pulled 0 "*) ;;
			*) moved=1; vsay "round $round: $d: $line" ;;
			esac
		done
		if [ "$moved" = 0 ]; then
			vsay "quiescent after $round sync rounds"
			return 0
		fi
	done
	fail "the laptops did not converge in 15 sync rounds"
}

check_epoch() {
	local db r n R=$W/check.db d cnt mn mx pend quar hwm reported
	# HUCE_CRASH_SELFTEST=lose|dup|sanitizer plants a loss, a duplicate
	# or a sanitizer report, so that the checks themselves are shown to
	# fail when they should (t0500).
	case ${HUCE_CRASH_SELFTEST:-} in
	lose) echo "household 01234567-89ab-7def-8123-456789abcdef selftest" >>"$W/rep.d1" ;;
	sanitizer) echo "==1==ERROR: AddressSanitizer: selftest" >>"$W/central.log" ;;
	dup)
		h d1 household add --village 阿猛村 --group 第一组 --head selftest \
			--approach new-build --build self --type three-grid >/dev/null &&
		h d1 sync >/dev/null &&
		sq "$W/d1.db" "INSERT INTO household(id, village_id, group_id, head, approach,
			build, type, status) SELECT '01234567-89ab-7def-8123-456789abcdef',
			village_id, group_id, head, approach, build, type, status FROM household
			WHERE head = 'selftest'" ;;
	esac
	for db in "$C" "$W"/d?.db; do
		r=$(sq "$db" 'PRAGMA integrity_check' 2>&1)
		[ "$r" = ok ] || fail "integrity_check of $db: $r"
	done

	# The reported records, as a table next to everything else.
	rm -f "$R"
	sq "$R" "CREATE TABLE rep(dev TEXT, kind TEXT, id TEXT, tag TEXT)"
	for d in $DEVS; do
		awk -v d="$d" '{ print d "|" $1 "|" $2 "|" $3 }' "$W/rep.$d" >"$W/rep.$d.psv"
		if sq "$R" ".import $W/rep.$d.psv rep" 2>&1 | grep .; then
			fail "cannot import rep.$d"
		fi
	done
	reported=$(sq "$R" "SELECT count(*) FROM rep")
	REPORTED=$((REPORTED + reported))
	n=$(sq "$R" "SELECT count(*) FROM (SELECT id FROM rep GROUP BY id HAVING count(*) > 1)")
	[ "$n" = 0 ] || fail "$n ids were reported by two commands"

	n=$(sq "$R" "ATTACH '$C' AS c;
		SELECT count(*) FROM rep r WHERE NOT EXISTS (SELECT 1 FROM c.record x
			WHERE x.id = r.id AND x.kind = r.kind AND x.deleted = 0)")
	[ "$n" = 0 ] || fail "$n reported records are not at the central"
	LOST=$((LOST + n))
	n=$(sq "$C" "SELECT count(*) FROM (SELECT 1 FROM field WHERE name IN ('head', 'note')
		GROUP BY name, value HAVING count(*) > 1)")
	[ "$n" = 0 ] || fail "$n heads or notes are stored twice at the central"
	DUP=$((DUP + n))
	n=$(sq "$C" "SELECT count(*) FROM (SELECT 1 FROM history WHERE seq IS NOT NULL
		GROUP BY device, seq HAVING count(DISTINCT version) > 1)")
	[ "$n" = 0 ] || fail "$n outbox entries were applied at two versions"
	DUP=$((DUP + n))
	n=$(adm conflicts --json | jq length)
	[ "$n" = 0 ] || fail "the central made $n conflicts from one-writer work"

	adm household list --json | jq -S 'map(del(.version, .code))' >"$W/hh.central"
	sq "$C" "SELECT id FROM record WHERE kind = 'inspection' AND deleted = 0 ORDER BY id" \
		>"$W/in.central"
	for d in $DEVS; do
		db=$W/$d.db
		n=$(sq "$R" "ATTACH '$db' AS l;
			SELECT count(*) FROM rep r WHERE r.dev = '$d' AND NOT EXISTS (
			  SELECT 1 FROM l.household x WHERE r.kind = 'household' AND x.id = r.id
			    AND x.deleted = 0
			  UNION ALL
			  SELECT 1 FROM l.inspection x WHERE r.kind = 'inspection' AND x.id = r.id
			    AND x.deleted = 0)")
		[ "$n" = 0 ] || fail "$d: $n reported records are missing on the laptop"
		LOST=$((LOST + n))
		n=$(sq "$db" "SELECT (SELECT count(*) FROM (SELECT 1 FROM household GROUP BY head
			HAVING count(*) > 1)) + (SELECT count(*) FROM (SELECT 1 FROM inspection
			WHERE note IS NOT NULL GROUP BY note HAVING count(*) > 1))")
		[ "$n" = 0 ] || fail "$d: $n heads or notes are stored twice on the laptop"
		DUP=$((DUP + n))

		read -r cnt mn mx pend quar <<<"$(sq -separator ' ' "$db" "SELECT count(*),
			coalesce(min(seq), 0), coalesce(max(seq), 0),
			coalesce(sum(state = 'pending'), 0), coalesce(sum(state = 'quarantined'), 0)
			FROM outbox")"
		hwm=$(sq "$C" "SELECT hwm FROM device WHERE name = '$d'")
		if [ "$cnt" != "$mx" ] || { [ "$mn" != 1 ] && [ "$cnt" != 0 ]; }; then
			fail "$d: outbox seqs are not 1..$mx without holes ($cnt entries from $mn)"
		fi
		[ "$pend" = 0 ] || fail "$d: $pend outbox entries still pending"
		if [ "$quar" != 0 ]; then
			fail "$d: $quar outbox entries quarantined: $(sq "$db" \
				"SELECT reason FROM outbox WHERE state = 'quarantined' LIMIT 1")"
			LOST=$((LOST + quar))
		fi
		[ "$hwm" = "$mx" ] || fail "$d: the central's hwm is $hwm, the laptop's last seq $mx"
		# Acknowledged but never applied: an entry with no history row.
		# A household status alone is no change: the central derives it.
		n=$(sq "$C" "ATTACH '$db' AS l;
			SELECT count(*) FROM l.outbox o WHERE seq NOT IN (SELECT seq FROM history
				WHERE device = '$d' AND seq IS NOT NULL)
			  AND NOT (o.kind = 'household' AND o.op = 'put' AND NOT EXISTS
				(SELECT 1 FROM json_each(o.fields) WHERE key <> 'status'))")
		[ "$n" = 0 ] || fail "$d: $n acknowledged outbox entries left no trace at the central"
		LOST=$((LOST + n))

		h "$d" household list --json | jq -S 'map(del(.version, .code))' >"$W/hh.$d"
		cmp -s "$W/hh.$d" "$W/hh.central" ||
			fail "$d: household list differs from the central's:" \
				"$(diff "$W/hh.$d" "$W/hh.central" | head -5)"
		sq "$db" "SELECT id FROM inspection WHERE deleted = 0 ORDER BY id" >"$W/in.$d"
		cmp -s "$W/in.$d" "$W/in.central" || fail "$d: inspections differ from the central's"
	done

	# Evidence that the interesting paths ran: batches the central had
	# already applied (sent again after a kill lost the answer), gaps.
	EV_BATCHES=$((EV_BATCHES + $(grep -c 'POST /v1/batches status=200' "$W/central.log")))
	EV_REPLAYED=$((EV_REPLAYED + $(grep 'POST /v1/batches status=200' "$W/central.log" |
		grep -vc ' skipped=0 ')))
	EV_409=$((EV_409 + $(grep -c 'status=409' "$W/central.log")))
	EV_429=$((EV_429 + $(grep -c 'status=429' "$W/central.log")))
	EV_PAGES=$((EV_PAGES + $(grep -c 'GET /v1/changes status=200' "$W/central.log")))
	vsay "epoch $EPOCH: reported=$reported central households=$(jq length "$W/hh.central")" \
		"inspections=$(wc -l <"$W/in.central")"
}

say "seed=$SEED kills=$KILLS epoch=$EPOCH_KILLS bulk=$BULK fill=$FILL dir=$TOP"
t_start=$(now_ms)
EPOCH=0
while [ "$KILLED" -lt "$KILLS" ]; do
	EPOCH=$((EPOCH + 1))
	failed_before=$FAILED
	if ! setup_epoch; then
		FAILED=$((FAILED + 1))
		echo "crash.sh: set-up failed:" >&2
		tail -20 "$W/setup.log" >&2
		exit 2
	fi
	n=$((KILLS - KILLED))
	[ "$n" -le "$EPOCH_KILLS" ] || n=$EPOCH_KILLS
	kill_loop "$n" || KILLS=$KILLED	# no endless epochs if kills never land
	converge
	check_epoch
	# The central's exit (SIGTERM) is when LeakSanitizer speaks.
	stop_central
	sanitized "$W/central.log" central
	sanitized "$W/setup.log" set-up
	[ "$FAILED" != "$failed_before" ] || [ -n "$KEEP" ] || rm -rf "$W"
	vsay "epoch $EPOCH done: kills=$KILLED lost=$LOST duplicated=$DUP"
done
say "trials=$TRIALS epochs=$EPOCH in $(( ($(now_ms) - t_start) / 1000 ))s;" \
	"kills: cli=${NKILL[cli]} fill=${NKILL[fill]} agent=${NKILL[agent]}" \
	"central=${NKILL[central]} (with syncs in flight: $CENTRAL_INFLIGHT);" \
	"finished before the signal: cli=${NMISS[cli]} fill=${NMISS[fill]} agent=${NMISS[agent]};" \
	"agent trials with a writer beside: $CONCURRENT"
say "time in trials: cli=$((MS[cli] / 1000))s fill=$((MS[fill] / 1000))s" \
	"agent=$((MS[agent] / 1000))s central=$((MS[central] / 1000))s"
say "central log: batches=$EV_BATCHES replayed=$EV_REPLAYED 409=$EV_409 429=$EV_429" \
	"pull_pages=$EV_PAGES; reported records=$REPORTED; unexpected exits=$ERRORS;" \
	"sanitizer reports=$SANITIZER"

echo "kills=$KILLED lost=$LOST duplicated=$DUP"
if [ "$LOST" != 0 ] || [ "$DUP" != 0 ] || [ "$FAILED" != 0 ]; then
	FAILED=$((FAILED + 1))
	exit 1
fi
exit 0
