# files — file services and binary protocols (issue 13, parts 2 and 3):
# rsync daemons, NFS (nfs-ganesha + rpcbind), iSCSI (tgt), X11 (Xvfb), a
# Kerberos KDC (MIT), and labd's Microsoft SQL Server PRELOGIN and WinRM.
#
#   127.0.2.80  files-weak: rsync, tgt, mssql (labd), winrm (labd)
#   127.0.2.81  files-hard: rsync, tgt, mssql (labd)
#   127.0.2.82  labd forward → 10.80.2.2 in namespace vigil-files-weak:
#               rpcbind, nfs-ganesha (world export), Xvfb -ac
#   127.0.2.83  labd forward → 10.80.2.6 in namespace vigil-files-hard:
#               rpcbind, nfs-ganesha (restricted export), Xvfb with xauth
#               (display :81: the two X servers share /tmp, where their
#               compiled keymaps are written by display number)
#   127.0.2.84  krb5kdc, realm LAB.VIGIL
#
# rpcbind's TCP listener, nfs-ganesha and Xvfb (-listen tcp) bind every
# address, so they run in network namespaces of the part's own, each with a
# veth pair to the root namespace (10.80.2.0/30, 10.80.2.4/30) and no other
# route; each namespace's daemons get a private /run (rpcbind's socket and
# state) from ip netns exec's mount namespace. labd forward relays their
# ports to a loopback alias, where the manifest, the tests and the scanner
# see them. Nothing here has an upstream: the KDC serves its own realm only.

PARTS+=(files)
DAEMONS+=" rsync tgtd krb5kdc rpcbind ganesha.nfsd Xvfb"
files_addrs=(127.0.2.80 127.0.2.81 127.0.2.82 127.0.2.83 127.0.2.84)
files_lo=()

# files_ns NAME ROOT-IF NS-IF ROOT-ADDR NS-ADDR: (re)create a namespace
# joined to the root namespace by a veth pair on a /30.
files_ns() {
	ip netns del "$1" 2>/dev/null || true
	ip link del "$2" 2>/dev/null || true
	ip netns add "$1" || die "cannot create network namespace $1"
	ip link add "$2" type veth peer name "$3" || die "cannot create veth $2"
	ip link set "$3" netns "$1"
	ip addr add "$4/30" dev "$2"
	ip link set "$2" up
	ip -n "$1" addr add "$5/30" dev "$3"
	ip -n "$1" link set "$3" up
	ip -n "$1" link set lo up
}

files_layout() {
	local F=$D/files w
	mkdir -p "$F"/rsync-{weak,hard}/{pub,backup} "$F"/krb5 "$F"/iscsi
	for w in weak hard; do
		mkdir -p "$F/nfs-$w"/{world,lan,recovery}
	done
	files_ns vigil-files-weak vfw0 vfw1 10.80.2.1 10.80.2.2
	files_ns vigil-files-hard vfh0 vfh1 10.80.2.5 10.80.2.6
}

# files_rsyncd W ADDR: the rsyncd.conf of the weak or hard daemon.
files_rsyncd() {
	local F=$D/files/rsync-$1
	printf 'backup:vigil-lab-rsync\n' >"$F/secrets"
	chmod 600 "$F/secrets"
	{
		printf 'address = %s\nport = 873\nuse chroot = no\nuid = nobody\ngid = nogroup\nlog file = %s/rsyncd.log\n' "$2" "$F"
		if [[ $1 == weak ]]; then
			printf '[pub]\n\tpath = %s/pub\n\tcomment = public files\n\tread only = yes\n' "$F"
			printf '[backup]\n\tpath = %s/backup\n\tcomment = nightly backups\n\tauth users = backup\n\tsecrets file = %s/secrets\n' "$F" "$F"
		else
			printf '[backup]\n\tpath = %s/backup\n\tcomment = nightly backups\n\tlist = no\n\tauth users = backup\n\tsecrets file = %s/secrets\n\thosts allow = 127.0.0.0/8\n' "$F" "$F"
		fi
	} >"$F/rsyncd.conf"
}

# files_tgt W ADDR PORT: a tgtd with one target; the hard one requires CHAP
# for discovery (a bound account without a target) and for the target.
files_tgt() {
	local C=$3 i
	# tgtd ignores SIGTERM (its own stop is tgtadm's, with targets
	# offline): a shell stops it for lab.sh with SIGKILL.
	launch "files-tgt-$1" "$D/files/iscsi" sh -c 'tgtd -f -C "$1" --iscsi "portal=$2:3260" & p=$!; trap "kill -KILL $p" TERM INT; wait $p' files-tgt "$C" "$2"
	for i in $(seq 200); do
		tgtadm -C "$C" --op show --mode sys >/dev/null 2>&1 && break
		sleep 0.05
	done
	tgtadm -C "$C" --lld iscsi --op new --mode target --tid 1 -T "iqn.2026-12.lab.vigil:$1-disk" &&
		tgtadm -C "$C" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$D/files/iscsi/disk.img" &&
		tgtadm -C "$C" --lld iscsi --op bind --mode target --tid 1 -I ALL ||
		die "cannot configure tgtd $1 (control port $C)"
	if [[ $1 == hard ]]; then
		tgtadm -C "$C" --mode account --op new --user discovery --password vigil-lab-chap-disc &&
			tgtadm -C "$C" --mode account --op bind --user discovery &&
			tgtadm -C "$C" --mode account --op new --user initiator --password vigil-lab-chap-init &&
			tgtadm -C "$C" --mode account --op bind --tid 1 --user initiator ||
			die "cannot set CHAP on tgtd hard"
	fi
}

# files_ganesha W: nfs-ganesha's configuration: the weak server exports
# world to everyone; both export lan to one client that is not the scanner.
files_ganesha() {
	local F=$D/files/nfs-$1
	{
		printf 'NFS_CORE_PARAM {\n\tProtocols = 3, 4;\n\tNFS_Port = 2049;\n\tMNT_Port = 20048;\n\tEnable_NLM = false;\n\tEnable_RQUOTA = false;\n}\n'
		printf 'NFSV4 {\n\tGraceless = true;\n\tRecoveryBackend = fs;\n\tRecoveryRoot = %s/recovery;\n}\n' "$F"
		printf 'EXPORT_DEFAULTS {\n\tAccess_Type = None;\n}\n'
		if [[ $1 == weak ]]; then
			printf 'EXPORT {\n\tExport_Id = 1;\n\tPath = %s/world;\n\tPseudo = /world;\n\tAccess_Type = RW;\n\tSquash = No_Root_Squash;\n\tSecType = sys;\n\tFSAL { Name = VFS; }\n}\n' "$F"
		fi
		printf 'EXPORT {\n\tExport_Id = 2;\n\tPath = %s/lan;\n\tPseudo = /lan;\n\tSquash = Root_Squash;\n\tFSAL { Name = VFS; }\n\tCLIENT {\n\t\tClients = 10.80.2.99;\n\t\tAccess_Type = RW;\n\t}\n}\n' "$F"
	} >"$F/ganesha.conf"
	# Inside the namespace: a private /run for rpcbind's socket and state,
	# rpcbind, then nfs-ganesha once rpcbind's socket exists.
	cat >"$F/start.sh" <<-EOS
		mount -t tmpfs -o mode=755 tmpfs /run && mkdir -p /run/ganesha || exit 1
		rpcbind -f &
		i=0
		while [ ! -S /run/rpcbind.sock ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done
		exec ganesha.nfsd -F -L "$F/ganesha.log" -f "$F/ganesha.conf" -p /run/ganesha/ganesha.pid -N NIV_EVENT
	EOS
}

# files_ns_ready NS PORT…: wait until every TCP port listens in NS.
files_ns_ready() {
	local ns=$1 i p ok
	shift
	for i in $(seq 400); do
		ok=1
		for p; do
			ip netns exec "$ns" ss -Hltn "sport = :$p" | grep -q . || ok=0
		done
		[[ $ok == 1 ]] && return 0
		sleep 0.05
	done
	die "the daemons in $ns did not listen on $* (logs under $D/files, $D/log)"
}

files_kdc() {
	local K=$D/files/krb5
	printf '[libdefaults]\n\tdefault_realm = LAB.VIGIL\n\tdns_lookup_kdc = false\n\tdns_lookup_realm = false\n[realms]\n\tLAB.VIGIL = {\n\t\tkdc = 127.0.2.84\n\t}\n' >"$K/krb5.conf"
	printf '[kdcdefaults]\n\tkdc_listen = 127.0.2.84:88\n\tkdc_tcp_listen = 127.0.2.84:88\n[realms]\n\tLAB.VIGIL = {\n\t\tdatabase_name = %s/principal\n\t\tkey_stash_file = %s/stash\n\t\tacl_file = %s/kadm5.acl\n\t\tkdc_listen = 127.0.2.84:88\n\t\tkdc_tcp_listen = 127.0.2.84:88\n\t}\n[logging]\n\tkdc = FILE:%s/kdc.log\n' "$K" "$K" "$K" "$K" >"$K/kdc.conf"
	KRB5_CONFIG=$K/krb5.conf KRB5_KDC_PROFILE=$K/kdc.conf kdb5_util -r LAB.VIGIL -P vigil-lab-master create -s >"$D/log/files-kdb5.log" 2>&1 9>&- ||
		die "kdb5_util create failed: $(tail -3 "$D/log/files-kdb5.log")"
	launch files-kdc "$K" env KRB5_CONFIG="$K/krb5.conf" KRB5_KDC_PROFILE="$K/kdc.conf" krb5kdc -n -r LAB.VIGIL
}

files_start() {
	local F=$D/files w
	files_rsyncd weak 127.0.2.80
	files_rsyncd hard 127.0.2.81
	launch files-rsync-weak "$F/rsync-weak" rsync --daemon --no-detach --config="$F/rsync-weak/rsyncd.conf"
	launch files-rsync-hard "$F/rsync-hard" rsync --daemon --no-detach --config="$F/rsync-hard/rsyncd.conf"

	truncate -s 1M "$F/iscsi/disk.img"
	files_tgt weak 127.0.2.80 80
	files_tgt hard 127.0.2.81 81

	launch files-mssql-weak "$F" "$LABD" -variant weak mssql 127.0.2.80:1433
	launch files-mssql-hard "$F" "$LABD" -variant hard mssql 127.0.2.81:1433
	launch files-winrm "$F" "$LABD" winrm 127.0.2.80:5985
	files_kdc

	for w in weak hard; do
		files_ganesha "$w"
		launch "files-nfs-$w" "$F/nfs-$w" ip netns exec "vigil-files-$w" sh "$F/nfs-$w/start.sh"
	done
	xauth -q -f "$F/x11-hard.xauth" add :81 . "$(mcookie)" 2>/dev/null 9>&- || die "xauth failed"
	launch files-x11-weak "$F" ip netns exec vigil-files-weak Xvfb :80 -listen tcp -nolisten unix -nolisten local -ac -nolock
	launch files-x11-hard "$F" ip netns exec vigil-files-hard Xvfb :81 -listen tcp -nolisten unix -nolisten local -auth "$F/x11-hard.xauth" -nolock
	# The relays start once the namespaced daemons listen: a relay that
	# accepts before them would make labd wait believe they are up.
	files_ns_ready vigil-files-weak 111 2049 20048 6080
	files_ns_ready vigil-files-hard 111 2049 20048 6081
	launch files-forward-weak "$F" "$LABD" forward 127.0.2.82 10.80.2.2 tcp/111,tcp/2049,tcp/20048,tcp/6080,udp/111,udp/20048
	launch files-forward-hard "$F" "$LABD" forward 127.0.2.83 10.80.2.6 tcp/111,tcp/2049,tcp/20048,tcp/6081,udp/111,udp/20048
}

files_manifest() {
	svc files-rsync-weak 127.0.2.80 873 tcp rsync false rsync "" weak "" \
		"rsync --daemon: #list names pub (no auth users: open to anyone) and backup (auth users, secrets file) (rsync.module.open)"
	svc files-rsync-hard 127.0.2.81 873 tcp rsync false rsync "" hard "" \
		"rsync --daemon: list = no; its one module needs auth users + secrets file and hosts allow"
	svc files-iscsi-weak 127.0.2.80 3260 tcp iscsi false "" "" weak "" \
		"tgtd: target iqn.2026-12.lab.vigil:weak-disk; discovery and login without CHAP (iscsi.discovery.open)"
	svc files-iscsi-hard 127.0.2.81 3260 tcp iscsi false "" "" hard "" \
		"tgtd: discovery needs CHAP (bound discovery account), target iqn.2026-12.lab.vigil:hard-disk needs CHAP"
	svc files-mssql-weak 127.0.2.80 1433 tcp mssql false "Microsoft SQL Server" 16.0.1000 weak "" \
		"labd mssql: PRELOGIN answered with VERSION 16.0.1000.6 and ENCRYPT_NOT_SUP (cleartext.mssql)"
	svc files-mssql-hard 127.0.2.81 1433 tcp mssql false "Microsoft SQL Server" 16.0.1000 hard "" \
		"labd mssql: PRELOGIN answered with ENCRYPT_REQ"
	svc files-winrm 127.0.2.80 5985 tcp winrm false "Microsoft HTTPAPI" 2.0 "" "" \
		"labd winrm: Server: Microsoft-HTTPAPI/2.0, 404 to GET /, 401 Negotiate/Kerberos to POST /wsman (exposure.admin with --untrusted)"
	svc files-kdc 127.0.2.84 88 tcp kerberos false "" "" "" "" \
		"MIT krb5kdc, realm LAB.VIGIL; answers vigil's AS-REQ with KRB-ERROR C_PRINCIPAL_UNKNOWN"
	svc files-kdc-udp 127.0.2.84 88 udp kerberos false "" "" "" "" "the same KDC over UDP"
	svc files-rpcbind-weak 127.0.2.82 111 tcp rpcbind false "" "" weak "" \
		"rpcbind in namespace vigil-files-weak (relayed by labd forward); nfs-ganesha exports world to everyone (nfs.export.world) and lan to 10.80.2.99 only"
	svc files-rpcbind-weak-udp 127.0.2.82 111 udp rpcbind false "" "" weak "" "the same port mapper over UDP"
	svc files-nfs-weak 127.0.2.82 2049 tcp nfs false "" "" weak "" "nfs-ganesha NFSv3/v4"
	svc files-mountd-weak 127.0.2.82 20048 tcp nfs false "" "" weak "" "nfs-ganesha's mount daemon (MNT_Port)"
	svc files-x11-weak 127.0.2.82 6080 tcp x11 false "X.Org X Server" "" weak "" \
		"Xvfb :80 -listen tcp -ac: any client may connect (x11.open)"
	svc files-rpcbind-hard 127.0.2.83 111 tcp rpcbind false "" "" hard "" \
		"rpcbind in namespace vigil-files-hard; nfs-ganesha exports lan to 10.80.2.99 only (mountd lists it to no one else)"
	svc files-rpcbind-hard-udp 127.0.2.83 111 udp rpcbind false "" "" hard "" "the same port mapper over UDP"
	svc files-nfs-hard 127.0.2.83 2049 tcp nfs false "" "" hard "" "nfs-ganesha NFSv3/v4"
	svc files-mountd-hard 127.0.2.83 20048 tcp nfs false "" "" hard "" "nfs-ganesha's mount daemon"
	svc files-x11-hard 127.0.2.83 6081 tcp x11 false "" "" hard "" \
		"Xvfb :81 -listen tcp -auth FILE (MIT-MAGIC-COOKIE-1): connections without the cookie are refused"
}
