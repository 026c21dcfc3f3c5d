#!/usr/bin/env bash
# netns.sh up|down — a firewalled host for scan tests, in network namespaces.
#
#   vigil-cl (client, 10.77.0.1/24) ── veth ── vigil-fw (server, 10.77.0.2/24)
#
# vigil-fw runs `labd listen-many` on the TCP ports in OPEN_PORTS and an
# nftables ruleset (table inet filter, chain input, policy drop) that accepts
# only loopback, established/related traffic, ICMP echo and those ports: a
# SYN to any other port is silently dropped, as a real firewall does.
# vigil-cl has no default route, so nothing run in it can reach any address
# outside 10.77.0.0/24. Both ends of the veth pair live in the namespaces:
# the root namespace has no route to 10.77.0.0/24, and none must be added.
#
# Run scanners with: ip netns exec vigil-cl COMMAND … 10.77.0.2
# The description is written to $VIGIL_LAB_DIR/netns.json.
set -euo pipefail

export PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=${HOME:-/root}

D=${VIGIL_LAB_DIR:-/tmp/vigil-lab}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CL=vigil-cl
FW=vigil-fw
CLIENT=10.77.0.1
SERVER=10.77.0.2

# 44 open ports spread over the range: the usual services and some random
# high ones. Every other port is dropped.
OPEN_PORTS=(
	21 22 23 25 53 80 110 111 135 139 143 389 443 445 465 587 631 993 995
	1433 1521 2049 3306 3389 5432 5900 6379 8080 8443 9200
	11211 15672 20000 27017 31337 33060 40404 44321 47808 50000 52311 58080 61616 64999
)
# A port that is not open, for the self-check.
CLOSED_PORT=7

log() { printf '%(%T)T netns: %s\n' -1 "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

[[ $(id -u) -eq 0 ]] || die "netns.sh must run as root"
[[ $D == /* ]] || die "VIGIL_LAB_DIR must be an absolute path (got $D)"
D=$(realpath -m "$D")
N=$D/netns

lock() {
	[[ ${VIGIL_NETNS_LOCK_HELD:-} == 1 ]] && return 0
	mkdir -p "$D"
	exec 9>"$D/.netns.lock"
	flock -w 600 9 || die "another netns.sh holds $D/.netns.lock"
}

stop() {
	local ns pids pid
	for ns in $FW $CL; do
		[[ -e /run/netns/$ns ]] || continue
		# Every process in the namespace is ours: netns.sh made it.
		pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
		if [[ -n ${pids// /} ]]; then
			kill -TERM $pids 2>/dev/null || true
			for _ in $(seq 30); do
				local left=""
				for pid in $pids; do [[ -e /proc/$pid ]] && left+="$pid "; done
				[[ -z $left ]] && break
				sleep 0.1
			done
			[[ -n ${left:-} ]] && kill -KILL $left 2>/dev/null || true
		fi
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -f "$D/netns.json" "$N/labd.pid"
}

cmd_up() {
	lock
	stop
	mkdir -p "$N"
	(cd "$REPO" && go build -o "$N/labd" ./lab/cmd/labd) >"$N/go-build.log" 2>&1 9>&- ||
		die "cannot build labd: $(<"$N/go-build.log")"

	ip netns add $FW
	ip netns add $CL
	ip link add vigil-cl0 netns $CL type veth peer name vigil-fw0 netns $FW
	ip -n $CL addr add $CLIENT/24 dev vigil-cl0
	ip -n $FW addr add $SERVER/24 dev vigil-fw0
	ip -n $CL link set lo up
	ip -n $FW link set lo up
	ip -n $CL link set vigil-cl0 up
	ip -n $FW link set vigil-fw0 up

	local ports
	ports=$(
		IFS=,
		echo "${OPEN_PORTS[*]}"
	)
	ip netns exec $FW nft -f - <<-EOF
		flush ruleset
		table inet filter {
		    chain input {
		        type filter hook input priority 0; policy drop;
		        iif lo accept
		        ct state established,related accept
		        ct state invalid drop
		        icmp type echo-request accept
		        icmpv6 type echo-request accept
		        tcp dport { $ports } accept
		    }
		}
	EOF

	(cd "$N" && exec ip netns exec $FW setsid "$N/labd" -pidfile "$N/labd.pid" listen-many $SERVER "$ports" \
		</dev/null >"$N/labd.log" 2>&1 9>&-) &

	# Wait until every port listens, then check from the client side that
	# an open port connects and a closed one is silently dropped.
	local n=0
	for _ in $(seq 200); do
		n=$(ip netns exec $FW ss -Hltn "src $SERVER" 2>/dev/null | wc -l)
		[[ $n -ge ${#OPEN_PORTS[@]} ]] && break
		sleep 0.05
	done
	[[ $n -ge ${#OPEN_PORTS[@]} ]] || die "only $n of ${#OPEN_PORTS[@]} ports listen: $(<"$N/labd.log")"
	ip netns exec $CL timeout 3 bash -c "exec 3<>/dev/tcp/$SERVER/${OPEN_PORTS[1]}" ||
		die "cannot connect from $CL to $SERVER:${OPEN_PORTS[1]}"
	local rc=0
	ip netns exec $CL timeout 1 bash -c "exec 3<>/dev/tcp/$SERVER/$CLOSED_PORT" 2>/dev/null || rc=$?
	[[ $rc == 124 ]] || die "port $CLOSED_PORT was not silently dropped (exit $rc; 124 = timed out)"

	local list
	list=$(
		IFS=,
		echo "${OPEN_PORTS[*]}"
	)
	printf '{"client_ns":"%s","server_ns":"%s","server":"%s","client":"%s","open_ports":[%s]}\n' \
		$CL $FW $SERVER $CLIENT "$list" >"$D/netns.json.tmp"
	mv "$D/netns.json.tmp" "$D/netns.json"
	log "up: $FW ($SERVER) with ${#OPEN_PORTS[@]} open TCP ports, everything else dropped; client namespace $CL ($CLIENT)"
}

cmd_down() {
	lock
	stop
	log "down"
}

case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
*)
	echo "usage: $0 up|down" >&2
	exit 2
	;;
esac
