#!/usr/bin/env bash
# lab.sh up|down|status — vigil's lab of real Debian services.
#
# Every service binds to its own loopback alias (127.0.2.x; Linux routes all
# of 127/8 to lo), never to 0.0.0.0, and none talks to anything outside the
# loopback range: no NTP pools, no DNS upstreams, no mail relays. The table of
# addresses is in README.md beside this script; the machine-readable truth is
# $VIGIL_LAB_DIR/manifest.json, written at the end of `up`.
#
# Notes learned while building it (LAB-NOTES style):
#  * No systemd: each daemon is started directly with its own config, in the
#    foreground under setsid when it can stay there (pid = $!), else with its
#    own pid file. Output goes to files in the lab dir, never to a pipe
#    someone waits on. Every child gets `9>&-` so it does not inherit the
#    lock of this script (a daemon holding it would block the next `up`).
#  * Postfix: a private instance needs its own config dir (main.cf,
#    master.cf) with queue_directory/data_directory in the lab; as root it
#    need not be listed in alternate_config_directories. inet_interfaces
#    must name an address configured on an interface (127.0.2.14 is routed,
#    not configured), so it is loopback-only and the smtpd line of master.cf
#    binds 127.0.2.14:25 itself. maillog_file needs maillog_file_prefixes to
#    cover the lab dir and a postlog service in master.cf; data_directory
#    must be owned by postfix. `postfix -c DIR start` works but runs ~150
#    processes of checks (seconds on a loaded machine): lab.sh makes the
#    queue directories and runs `master -c DIR` in the foreground instead.
#    Postfix reports errors only to a tty or its log: read
#    $D/mail-*/postfix/maillog.
#  * Daemons that rewrite their process title (redis, sshd, nginx, postgres
#    backends) also overwrite /proc/PID/environ; redis gets the lab dir into
#    its title with proc-title-template so that stop_all recognises it.
#  * OpenSSL 3 only offers TLS 1.0/1.1 and weak suites at security level 0,
#    and refuses to load an RSA-1024 certificate above it: the weak nginx
#    runs with OPENSSL_CONF pointing at a file that sets @SECLEVEL=0.
#  * vsftpd 3.0.3 has no TLS 1.1/1.2 switches (only ssl_tlsv1, which means
#    1.0); OpenSSL 3's default security level already refuses TLS < 1.2.
#    Its default ssl_ciphers is DES-CBC3-SHA, which OpenSSL 3 does not
#    offer: set it.
#  * sshd's StrictModes refuses an AuthorizedKeysFile below /tmp (mode 1777):
#    ssh-hard sets StrictModes no for that reason only.
#  * snmpd: -I -smux, or every instance fights over 127.0.0.1:199; MIBS= to
#    skip loading MIB files; SNMP_PERSISTENT_DIR keeps its state in the lab.
#  * Xvnc: -nolock keeps it from writing /tmp/.X*-lock.
#  * chronyd: cmdport 0 and bindcmdaddress / keep it off 127.0.0.1:323 and
#    /run/chrony; no server/pool lines, so it never sends a packet out.
set -euo pipefail

export PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=${HOME:-/root}
umask 022

D=${VIGIL_LAB_DIR:-/tmp/vigil-lab}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LABD=$D/labd
# mosquitto_passwd's entry for the password vigil-lab-mqtt-pass.
MQTT_HASH='$7$101$D0rDhPOGev22MQFg$7IQ58Yo1VNgA0BVDtEJ5AFskEs7AK7oPrjuMZurLtrTEQLVhFRDGgEQuz41IBlGvwdjzoICc2ssRQNrtnTz2JQ=='

log() { printf '%(%T)T lab: %s\n' -1 "$*" >&2; }

# write FILE / append FILE / emit: standard input (a here-document) to
# FILE or standard output, without forking cat: starting processes is slow
# on a loaded two-core machine, and up starts enough of them already.
emit() {
	local content=""
	IFS= read -r -d '' content || true
	printf '%s' "$content"
}
write() { emit >"$1"; }
append() { emit >>"$1"; }
die() { log "error: $*"; exit 1; }

check_dir() {
	[[ $D == /* ]] || die "VIGIL_LAB_DIR must be an absolute path (got $D)"
	D=$(realpath -m "$D")
	case $D in
	/ | /tmp | /root | /home | /home/* | /usr | /usr/* | /etc | /etc/* | /var | /bin | /sbin | /lib | /opt | /srv | /run)
		die "refusing to use $D as the lab directory" ;;
	esac
	LABD=$D/labd
	mkdir -p "$D"
	chmod 755 "$D"
	if [[ ! -e $D/.vigil-lab ]]; then
		if [[ -n $(find "$D" -mindepth 1 -maxdepth 1 ! -name .lock ! -name .netns.lock ! -name .cache ! -name netns ! -name netns.json -print -quit) ]]; then
			die "$D is not empty and has no .vigil-lab marker: refusing to wipe it"
		fi
		touch "$D/.vigil-lab"
	fi
}

lock() {
	[[ ${VIGIL_LAB_LOCK_HELD:-} == 1 ]] && return 0
	exec 9>"$D/.lock"
	flock -n 9 && return 0
	local t=$SECONDS
	log "waiting for $D/.lock (another lab.sh, or tests using the lab)"
	flock -w "${VIGIL_LAB_LOCK_WAIT:-600}" 9 || die "another lab.sh (or a test using the lab) holds $D/.lock"
	log "got the lock after $((SECONDS - t))s"
}

# ---------------------------------------------------------------- processes

# The lab's processes are found with a find and two greps over /proc, and
# filtered with shell builtins only (forking per process is slow here):
#  - the pids in its pid files whose working directory is in the lab dir
#    (a recycled pid would not be);
#  - those whose command line names a file in the lab dir (stray daemons of
#    earlier runs; redis puts the lab dir in its title for this);
#  - those whose environment holds VIGIL_LAB_OWNER=$D, which launch gives
#    every daemon and which children inherit (memcached, postfix's
#    services). Daemons that rewrite their title (sshd, nginx, redis,
#    postgres) clobber this, but their masters name the lab dir.
# The namespace host (netns.sh) lives in $D/netns and is not ours.
OWNER=VIGIL_LAB_OWNER
# DAEMONS are the process names (/proc/PID/comm, at most 15 characters) of
# everything the lab starts.
DAEMONS="nginx sshd redis-server memcached vsftpd dovecot master postgres mariadbd mysqld mosquitto snmpd slapd dnsmasq chronyd Xvnc Xtigervnc labd telnetd in.telnetd"

# ---------------------------------------------------------------- parts
#
# Each lab/parts/NAME.sh adds one family of services (NAME is a shell
# identifier). A part appends NAME to PARTS and its daemons' command names
# to DAEMONS, sets NAME_addrs to the 127.0.2.x aliases it binds (up refuses
# when a stranger holds one) and NAME_lo to those lo must carry as /32
# because the daemon insists on a configured address (named, smbd), and
# defines NAME_layout (make its directories), NAME_start (launch its
# daemons) and NAME_manifest (one svc line per service).
#
# VIGIL_LAB_ONLY="NAME…" starts only those parts and none of the core
# services: with its own VIGIL_LAB_DIR, a part's lab runs beside the full one.
PARTS=()
for f in "$REPO"/lab/parts/*.sh; do
	[[ -e $f ]] || continue
	# shellcheck source=/dev/null
	source "$f"
done
ONLY=${VIGIL_LAB_ONLY:-}
if [[ -n $ONLY ]]; then
	for p in $ONLY; do
		[[ " ${PARTS[*]} " == *" $p "* ]] || { echo "lab: VIGIL_LAB_ONLY names no part $p (have: ${PARTS[*]})" >&2; exit 2; }
	done
	read -r -a PARTS <<<"$ONLY"
fi

# part_list SUFFIX: every selected part's NAME_SUFFIX array, one a line.
part_list() {
	local p v
	for p in "${PARTS[@]}"; do
		v="${p}_$1[@]"
		[[ -n ${!v+x} ]] && printf '%s\n' "${!v}"
	done
	return 0
}

# lo_addrs add|del: put the parts' NAME_lo aliases on lo as /32, or take
# them off. up records what it added in $D/lo-added, which down reads.
lo_addrs() {
	local a
	if [[ $1 == add ]]; then
		for a in $(part_list lo); do
			ip addr replace "$a/32" dev lo || die "cannot add $a/32 to lo"
			echo "$a" >>"$D/lo-added"
		done
	elif [[ -f $D/lo-added ]]; then
		while read -r a; do ip addr del "$a/32" dev lo 2>/dev/null || true; done <"$D/lo-added"
		rm -f "$D/lo-added"
	fi
}

# parts STEP: run every part's STEP function.
parts() {
	local p
	for p in "${PARTS[@]}"; do
		"${p}_$1"
	done
}

# our_pids: the lab's processes, except this script and its ancestors.
our_pids() {
	local self=" " p=$$ line pid a cmd f comm
	while [[ $p -gt 1 ]]; do
		self+="$p "
		{ read -r line <"/proc/$p/stat"; } 2>/dev/null || break
		line=${line##*) }
		set -- $line
		p=$2
	done
	{
		# Pid files of launch and PostgreSQL, when the process still works
		# in the lab dir (a recycled pid would not).
		local cwds=()
		for f in "$D"/run/*.pid "$D"/db-*/pg/postmaster.pid; do
			{ read -r pid <"$f"; } 2>/dev/null || continue
			if [[ $pid =~ ^[0-9]+$ && -e /proc/$pid ]]; then cwds+=("/proc/$pid/cwd"); fi
		done
		if [[ ${#cwds[@]} -gt 0 ]]; then
			find "${cwds[@]}" -maxdepth 0 -lname "$D/*" 2>/dev/null || true
		fi
		grep -lzxF -- "$OWNER=$D" /proc/[0-9]*/environ 2>/dev/null || true
		grep -laF -- "$D/" /proc/[0-9]*/cmdline 2>/dev/null | while IFS=/ read -r _ _ pid _; do
			# Only the lab's own daemons: a scanner or test that merely names
			# a lab file (vigil scan --tls-ca $D/ca.pem) is not the lab's.
			{ read -r comm <"/proc/$pid/comm"; } 2>/dev/null || continue
			[[ " $DAEMONS " == *" $comm "* ]] || continue
			{ mapfile -d '' -t a <"/proc/$pid/cmdline"; } 2>/dev/null || continue
			cmd=" ${a[*]} "
			if [[ $cmd == *"$D/"* && $cmd != *"$D/netns/"* ]]; then echo "/proc/$pid/cmdline"; fi
		done || true # grep finds nothing: exit 1
	} | while IFS=/ read -r _ _ pid _; do
		if [[ $self != *" $pid "* ]]; then echo "$pid"; fi
	done | sort -un || true
}

# alive PID…: prints the pids that still run (zombies count as gone: PID 1
# here does not always reap them).
alive() {
	local pid line
	for pid; do
		{ read -r line <"/proc/$pid/stat"; } 2>/dev/null || continue
		line=${line##*) }
		[[ ${line:0:1} == Z ]] || printf '%s ' "$pid"
	done
}

# ATTACKER is the unprivileged account security tests play an attacker
# with: the lab's own, never nobody (lab daemons run as nobody).
ATTACKER=vigil-attacker

# ensure_attacker creates the attacker account once; it has no home and no
# login shell.
ensure_attacker() {
	id -u "$ATTACKER" >/dev/null 2>&1 && return 0
	useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$ATTACKER" ||
		id -u "$ATTACKER" >/dev/null 2>&1 || die "cannot create the user $ATTACKER"
}

stop_all() {
	local pids pid f i left term="" comm line
	# Whatever a security test left running as the attacker.
	if id -u "$ATTACKER" >/dev/null 2>&1; then pkill -KILL -u "$ATTACKER" 2>/dev/null || true; fi
	# PostgreSQL gets SIGINT (fast shutdown) on its postmaster and nothing
	# else, so it shuts down cleanly; everything else gets SIGTERM.
	for f in "$D"/db-*/pg/postmaster.pid; do
		[[ -e $f ]] || continue
		{ read -r pid <"$f"; } 2>/dev/null && [[ -n $pid ]] && kill -INT "$pid" 2>/dev/null || true
	done
	pids=$(our_pids | tr '\n' ' ')
	[[ -n ${pids// /} ]] || return 0
	log "stopping $(wc -w <<<"$pids") lab processes"
	for pid in $pids; do
		{ read -r comm <"/proc/$pid/comm"; } 2>/dev/null || continue
		[[ $comm == postgres ]] || term+="$pid "
	done
	[[ -n $term ]] && kill -TERM $term 2>/dev/null || true
	for i in $(seq 100); do
		left=$(alive $pids)
		[[ -z $left ]] && break
		if [[ $i == 50 ]]; then
			log "killing what ignored SIGTERM: $left"
			kill -KILL $left 2>/dev/null || true
		fi
		sleep 0.1
	done
	# Anything the masters started meanwhile.
	pids=$(our_pids | tr '\n' ' ')
	if [[ -n ${pids// /} ]]; then
		kill -KILL $pids 2>/dev/null || true
		sleep 0.2
	fi
}

# launch NAME DIR CMD…: start CMD in DIR, in its own session, in the
# background, with output to $D/log/NAME.log; its pid goes to
# $D/run/NAME.pid. CMD must stay in the foreground.
launch() {
	local name=$1 dir=$2
	shift 2
	(cd "$dir" && export "$OWNER=$D" && exec setsid "$@" </dev/null >>"$D/log/$name.log" 2>&1 9>&-) &
	echo $! >"$D/run/$name.pid"
}

# ---------------------------------------------------------------- versions

# match VAR REGEX TEXT: VAR gets the first group of REGEX in TEXT.
match() {
	[[ $3 =~ $2 ]] || die "cannot tell the installed version for $1 from '${3:0:80}' (run lab/install-deps.sh)"
	printf -v "$1" '%s' "${BASH_REMATCH[1]}"
}

# Versions come from the installed binaries and packages, never from this
# script: the manifest says what identification must report.
versions() {
	local out
	match V_NGINX 'nginx/([0-9.]+)' "$(nginx -v 2>&1)"
	out=$(dpkg-query -W -f='${Package} ${Version}\n' openssh-server vsftpd)
	match V_SSH 'openssh-server ([0-9]+:)?([^-]+)' "$out"
	V_SSH=${BASH_REMATCH[2]}
	match V_VSFTPD 'vsftpd ([0-9]+:)?([^-]+)' "$out"
	V_VSFTPD=${BASH_REMATCH[2]}
	match V_POSTFIX '([0-9][0-9.]*)' "$(postconf -dh mail_version)"
	match V_REDIS ' v=([0-9.]+)' "$(redis-server -v)"
	match V_MEMCACHED 'memcached ([0-9.]+)' "$(memcached -V)"
	match V_MARIADB 'Ver ([0-9.]+)-MariaDB' "$(mariadbd --version)"
	match V_DNSMASQ 'Dnsmasq version ([0-9.]+)' "$(dnsmasq --version)"
	match V_MOSQUITTO 'mosquitto version ([0-9.]+)' "$(mosquitto -h 2>&1 || true)"
	match V_PG '\) ([0-9.]+)' "$(/usr/lib/postgresql/15/bin/postgres --version)"
}

# ---------------------------------------------------------------- keys and certificates

CERTS=""

# leaf NAME CN SAN KEYALG DAYS: a key and a certificate signed by the lab CA.
leaf() {
	local name=$1 cn=$2 san=$3 alg=$4 days=$5 newkey
	case $alg in
	ec) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
	rsa) newkey=(-newkey rsa:2048) ;;
	esac
	openssl req -new "${newkey[@]}" -nodes -keyout "$CERTS/$name.key" -subj "/O=vigil lab/CN=$cn" \
		-out "$CERTS/$name.csr" 2>/dev/null
	printf '%s\n' "subjectAltName=$san" "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
		"subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >"$CERTS/$name.ext"
	openssl x509 -req -in "$CERTS/$name.csr" -CA "$D/ca.pem" -CAkey "$D/ca.key" \
		-set_serial "$((RANDOM << 30 | RANDOM << 15 | RANDOM))" -days "$days" -sha256 \
		-extfile "$CERTS/$name.ext" -out "$CERTS/$name.crt" 2>/dev/null
}

# The weak HTTPS certificate: self-signed RSA-1024, SHA-1, expired, for a
# name that is not the address. `openssl ca` is the only OpenSSL 3.0
# command that can set past validity dates.
weak_cert() {
	local w=$CERTS/weakca
	mkdir "$w"
	: >"$w/index.txt"
	echo 1000 >"$w/serial"
	write "$w/ca.cnf" <<-EOF
		[ ca ]
		default_ca = weak
		[ weak ]
		database = $w/index.txt
		new_certs_dir = $w
		serial = $w/serial
		default_md = sha1
		policy = any
		unique_subject = no
		copy_extensions = none
		[ any ]
		commonName = supplied
		organizationName = optional
		[ ext ]
		subjectAltName = DNS:www.weak.invalid
		basicConstraints = CA:FALSE
	EOF
	openssl req -new -newkey rsa:1024 -nodes -keyout "$CERTS/web-weak-selfsigned.key" \
		-subj "/O=vigil lab/CN=www.weak.invalid" -out "$w/weak.csr" 2>/dev/null
	openssl ca -batch -config "$w/ca.cnf" -selfsign -keyfile "$CERTS/web-weak-selfsigned.key" \
		-in "$w/weak.csr" -out "$CERTS/web-weak-selfsigned.crt" -notext -md sha1 \
		-startdate 20200101000000Z -enddate 20210101000000Z -extensions ext >/dev/null 2>&1 ||
		die "openssl ca could not make the expired certificate"
}

gen_keys() {
	CERTS=$D/certs
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/ca.key" -out "$D/ca.pem" \
		-days 3650 -sha256 -subj "/O=vigil lab/CN=vigil lab CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	local pids=() p
	leaf web-weak-expiring 127.0.2.10 IP:127.0.2.10 ec 10 &
	pids+=($!)
	leaf web-hard 127.0.2.11 IP:127.0.2.11 ec 365 &
	pids+=($!)
	leaf mail-hard 127.0.2.15 IP:127.0.2.15,DNS:mail-hard.vigil.test rsa 365 &
	pids+=($!)
	leaf ftp-hard 127.0.2.17 IP:127.0.2.17 ec 365 &
	pids+=($!)
	leaf db-hard 127.0.2.19 IP:127.0.2.19 ec 365 &
	pids+=($!)
	leaf iot-hard 127.0.2.21 IP:127.0.2.21 ec 365 &
	pids+=($!)
	weak_cert &
	pids+=($!)
	# The legacy TLS emulator's certificate: RSA-1024 with SHA-1, as servers
	# of that era had, self-signed but within its validity dates.
	openssl req -x509 -newkey rsa:1024 -nodes -sha1 -days 3650 -keyout "$CERTS/legacy.key" \
		-out "$CERTS/legacy.crt" -subj "/O=vigil lab/CN=legacy.vigil.test" 2>/dev/null &
	pids+=($!)
	ssh-keygen -q -N '' -t rsa -b 1024 -f "$D/ssh-weak/ssh_host_rsa_key" &
	pids+=($!)
	ssh-keygen -q -N '' -t dsa -f "$D/ssh-weak/ssh_host_dsa_key" &
	pids+=($!)
	ssh-keygen -q -N '' -t ed25519 -f "$D/ssh-hard/ssh_host_ed25519_key" &
	pids+=($!)
	ssh-keygen -q -N '' -t rsa -b 3072 -f "$D/ssh-hard/ssh_host_rsa_key" &
	pids+=($!)
	ssh-keygen -q -N '' -t ed25519 -C vigil-lab-client -f "$D/client_ed25519" &
	pids+=($!)
	for p in "${pids[@]}"; do wait "$p" || die "key or certificate generation failed"; done
	chmod 644 "$D/ca.pem" "$CERTS"/*.key
	local ed rsa
	read -r ed <"$D/ssh-hard/ssh_host_ed25519_key.pub"
	read -r rsa <"$D/ssh-hard/ssh_host_rsa_key.pub"
	printf '127.0.2.13 %s\n' "${ed% *}" "${rsa% *}" >"$D/known_hosts"
	read -r ed <"$D/client_ed25519.pub"
	printf '%s\n' "$ed" >"$D/ssh-hard/authorized_keys"
}

# ---------------------------------------------------------------- services

start_nginx() {
	local w=$D/web-weak h=$D/web-hard
	write "$w/www/index.html" <<-'EOF'
		<!doctype html><title>web-weak</title><p>vigil lab: web-weak (behind HTTP Basic authentication)</p>
	EOF
	write "$w/www/login.html" <<-'EOF'
		<!doctype html>
		<html><head><title>Sign in</title></head><body>
		<form method="post" action="/login">
		<label>User <input type="text" name="user"></label>
		<label>Password <input type="password" name="password"></label>
		<button type="submit">Sign in</button>
		</form></body></html>
	EOF
	echo "<!doctype html><title>web-hard</title><p>vigil lab: web-hard</p>" >"$h/www/index.html"
	# user admin, password admin (apr1 hash made with openssl passwd -apr1)
	echo 'admin:$apr1$vigillab$q4eHFne0TVRUBD23P2WyX.' >"$w/htpasswd"
	# OpenSSL 3 refuses TLS < 1.2 and RSA-1024 keys above security level 0,
	# and checks the key when nginx loads it, before ssl_ciphers applies.
	write "$w/openssl.cnf" <<-'EOF'
		openssl_conf = init
		[init]
		ssl_conf = ssl_sect
		[ssl_sect]
		system_default = system_default_sect
		[system_default_sect]
		MinProtocol = TLSv1
		CipherString = DEFAULT:@SECLEVEL=0
	EOF
	local common
	common="worker_processes 1;
daemon off;
user www-data;
events { worker_connections 256; }"
	write "$w/nginx.conf" <<-EOF
		# web-weak: planted weaknesses, see lab/README.md
		$common
		pid $w/nginx.pid;
		error_log $w/error.log warn;
		http {
		    include /etc/nginx/mime.types;
		    default_type application/octet-stream;
		    access_log $w/access.log;
		    client_body_temp_path $w/tmp/body;
		    proxy_temp_path $w/tmp/proxy;
		    fastcgi_temp_path $w/tmp/fastcgi;
		    uwsgi_temp_path $w/tmp/uwsgi;
		    scgi_temp_path $w/tmp/scgi;
		    root $w/www;

		    # HTTP with Basic authentication and a password form, in cleartext.
		    server {
		        listen 127.0.2.10:8080;
		        server_name web-weak;
		        location = /login.html { }
		        location / {
		            auth_basic "vigil lab web-weak";
		            auth_basic_user_file $w/htpasswd;
		        }
		    }

		    # HTTPS: TLS 1.0-1.2 only; static RSA, CBC, anonymous ECDH and NULL
		    # suites; self-signed RSA-1024 SHA-1 certificate, expired, for
		    # www.weak.invalid.
		    server {
		        listen 127.0.2.10:8443 ssl;
		        server_name web-weak;
		        ssl_certificate $D/certs/web-weak-selfsigned.crt;
		        ssl_certificate_key $D/certs/web-weak-selfsigned.key;
		        ssl_protocols TLSv1 TLSv1.1 TLSv1.2;
		        ssl_ciphers "AES128-SHA:AES256-SHA:AECDH-AES128-SHA:NULL-SHA256:ECDHE-RSA-AES128-SHA:@SECLEVEL=0";
		        ssl_prefer_server_ciphers on;
		    }

		    # HTTPS with a good configuration but a certificate expiring in 10 days.
		    server {
		        listen 127.0.2.10:9443 ssl;
		        server_name web-weak;
		        ssl_certificate $D/certs/web-weak-expiring.crt;
		        ssl_certificate_key $D/certs/web-weak-expiring.key;
		        ssl_protocols TLSv1.2 TLSv1.3;
		        ssl_ciphers "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305";
		        ssl_prefer_server_ciphers off;
		    }
		}
	EOF
	write "$h/nginx.conf" <<-EOF
		# web-hard: Mozilla "intermediate" TLS, no version disclosure, HTTP only redirects.
		$common
		pid $h/nginx.pid;
		error_log $h/error.log warn;
		http {
		    include /etc/nginx/mime.types;
		    default_type application/octet-stream;
		    access_log $h/access.log;
		    client_body_temp_path $h/tmp/body;
		    proxy_temp_path $h/tmp/proxy;
		    fastcgi_temp_path $h/tmp/fastcgi;
		    uwsgi_temp_path $h/tmp/uwsgi;
		    scgi_temp_path $h/tmp/scgi;
		    root $h/www;
		    server_tokens off;

		    server {
		        listen 127.0.2.11:80;
		        server_name web-hard;
		        return 301 https://127.0.2.11\$request_uri;
		    }

		    server {
		        listen 127.0.2.11:443 ssl http2;
		        server_name web-hard;
		        ssl_certificate $D/certs/web-hard.crt;
		        ssl_certificate_key $D/certs/web-hard.key;
		        ssl_protocols TLSv1.2 TLSv1.3;
		        ssl_ecdh_curve X25519:prime256v1:secp384r1;
		        ssl_ciphers "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
		        ssl_prefer_server_ciphers off;
		        ssl_session_tickets off;
		        add_header Strict-Transport-Security "max-age=63072000" always;
		    }
		}
	EOF
	launch nginx-weak "$w" env OPENSSL_CONF="$w/openssl.cnf" nginx -e "$w/error.log" -c "$w/nginx.conf"
	launch nginx-hard "$h" nginx -e "$h/error.log" -c "$h/nginx.conf"
}

start_sshd() {
	local w=$D/ssh-weak h=$D/ssh-hard
	[[ -d /run/sshd ]] || install -d -m 755 /run/sshd # sshd's privilege separation directory
	write "$w/sshd_config" <<-EOF
		# ssh-weak: legacy algorithms re-enabled, passwords and root allowed.
		ListenAddress 127.0.2.12:2222
		HostKey $w/ssh_host_rsa_key
		HostKey $w/ssh_host_dsa_key
		PidFile $w/sshd.pid
		HostKeyAlgorithms +ssh-rsa,ssh-dss
		PubkeyAcceptedAlgorithms +ssh-rsa,ssh-dss
		KexAlgorithms +diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group-exchange-sha1
		Ciphers +3des-cbc,aes128-cbc,aes256-cbc
		MACs +hmac-md5,hmac-sha1,hmac-sha1-96,umac-64@openssh.com
		PasswordAuthentication yes
		KbdInteractiveAuthentication yes
		PermitRootLogin yes
		UsePAM yes
		AuthorizedKeysFile $w/authorized_keys
		StrictModes no
		PrintMotd no
		Subsystem sftp /usr/lib/openssh/sftp-server
	EOF
	write "$h/sshd_config" <<-EOF
		# ssh-hard: modern algorithms only, keys only. StrictModes no only
		# because the authorized keys file lives below /tmp (mode 1777).
		ListenAddress 127.0.2.13:22
		HostKey $h/ssh_host_ed25519_key
		HostKey $h/ssh_host_rsa_key
		PidFile $h/sshd.pid
		HostKeyAlgorithms ssh-ed25519,rsa-sha2-512,rsa-sha2-256
		KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512
		Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr
		MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,umac-128-etm@openssh.com
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PermitRootLogin prohibit-password
		PubkeyAuthentication yes
		AuthorizedKeysFile $h/authorized_keys
		StrictModes no
		UsePAM yes
		PrintMotd no
		Subsystem sftp /usr/lib/openssh/sftp-server
	EOF
	: >"$w/authorized_keys"
	local c
	for c in "$w" "$h"; do
		/usr/sbin/sshd -t -f "$c/sshd_config" 9>&- 2>>"$D/log/sshd.log" || die "sshd rejects $c/sshd_config: $(tail -3 "$D/log/sshd.log")"
	done
	launch ssh-weak "$w" /usr/sbin/sshd -D -f "$w/sshd_config" -E "$w/sshd.log"
	launch ssh-hard "$h" /usr/sbin/sshd -D -f "$h/sshd_config" -E "$h/sshd.log"
}

# dovecot_conf TWIN ADDR: dovecot.conf for mail-TWIN.
dovecot_conf() {
	local twin=$1 addr=$2 d=$D/mail-$1/dovecot
	emit <<-EOF
		# mail-$twin dovecot
		base_dir = $d/run
		instance_name = vigil-mail-$twin
		listen = $addr
		protocols = imap pop3
		log_path = $d/dovecot.log
		mail_location = maildir:$d/mail/%u
		first_valid_uid = 1
		import_environment = TZ CORE_OUTOFMEM CORE_ERROR LISTEN_PID LISTEN_FDS $OWNER
		auth_mechanisms = plain login
		passdb {
		  driver = static
		  args = password=vigil
		}
		userdb {
		  driver = static
		  args = uid=nobody gid=nogroup home=$d/mail/%u
		}
		service auth {
		  unix_listener auth-client {
		    mode = 0666
		  }
		}
	EOF
	if [[ $twin == weak ]]; then
		emit <<-EOF
			ssl = no
			disable_plaintext_auth = no
			service imap-login {
			  inet_listener imap {
			    port = 143
			  }
			  inet_listener imaps {
			    port = 0
			  }
			}
			service pop3-login {
			  inet_listener pop3 {
			    port = 110
			  }
			  inet_listener pop3s {
			    port = 0
			  }
			}
		EOF
	else
		emit <<-EOF
			ssl = required
			ssl_cert = <$D/certs/mail-hard.crt
			ssl_key = <$D/certs/mail-hard.key
			ssl_min_protocol = TLSv1.2
			ssl_cipher_list = ECDHE+AESGCM:ECDHE+CHACHA20
			ssl_prefer_server_ciphers = yes
			disable_plaintext_auth = yes
			service imap-login {
			  inet_listener imap {
			    port = 143
			  }
			  inet_listener imaps {
			    port = 993
			    ssl = yes
			  }
			}
			service pop3-login {
			  inet_listener pop3 {
			    port = 110
			  }
			  inet_listener pop3s {
			    port = 995
			    ssl = yes
			  }
			}
		EOF
	fi
}

# postfix_conf TWIN ADDR: writes main.cf and master.cf of mail-TWIN.
postfix_conf() {
	local twin=$1 addr=$2 p=$D/mail-$1/postfix
	write "$p/conf/main.cf" <<-EOF
		# mail-$twin postfix: a private instance; it delivers and relays nothing.
		compatibility_level = 3.6
		queue_directory = $p/queue
		data_directory = $p/data
		mail_owner = postfix
		myhostname = mail-$twin.vigil.test
		mydomain = vigil.test
		myorigin = \$myhostname
		mydestination =
		inet_interfaces = loopback-only
		inet_protocols = ipv4
		mynetworks = 127.0.0.0/8
		relayhost =
		default_transport = error:the vigil lab delivers no mail
		relay_transport = error:the vigil lab delivers no mail
		local_transport = error:the vigil lab delivers no mail
		alias_maps =
		alias_database =
		local_recipient_maps =
		smtp_dns_support_level = disabled
		smtpd_peername_lookup = no
		biff = no
		maillog_file = $p/maillog
		maillog_file_prefixes = $D
		syslog_name = postfix-vigil-mail-$twin
		smtpd_sasl_auth_enable = yes
		smtpd_sasl_type = dovecot
		smtpd_sasl_path = $D/mail-$twin/dovecot/run/auth-client
		smtpd_sasl_security_options = noanonymous
		smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
		# lab.sh finds the lab's processes by this variable.
		import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE POSTLOG_HOSTNAME $OWNER
	EOF
	if [[ $twin == weak ]]; then
		append "$p/conf/main.cf" <<-'EOF'
			# No TLS at all; SASL AUTH offered in cleartext; version in the banner.
			smtpd_banner = $myhostname ESMTP $mail_name $mail_version
			smtpd_tls_security_level = none
			broken_sasl_auth_clients = yes
		EOF
	else
		append "$p/conf/main.cf" <<-EOF
			# STARTTLS with the lab CA's certificate; AUTH only after TLS.
			smtpd_banner = \$myhostname ESMTP \$mail_name
			smtpd_tls_security_level = may
			smtpd_tls_auth_only = yes
			smtpd_tls_chain_files = $D/certs/mail-hard.key, $D/certs/mail-hard.crt
			smtpd_tls_protocols = >=TLSv1.2
			smtpd_tls_mandatory_protocols = >=TLSv1.2
			smtpd_tls_ciphers = high
			smtpd_tls_mandatory_ciphers = high
			tls_high_cipherlist = ECDHE+AESGCM:ECDHE+CHACHA20
			smtpd_tls_exclude_ciphers = aNULL, eNULL
			tls_preempt_cipherlist = yes
			smtpd_tls_loglevel = 1
		EOF
	fi
	write "$p/conf/master.cf" <<-EOF
		# service type  private unpriv  chroot  wakeup  maxproc command
		$addr:25   inet  n       -       n       -       -       smtpd
		pickup    unix  n       -       n       60      1       pickup
		cleanup   unix  n       -       n       -       0       cleanup
		qmgr      unix  n       -       n       300     1       qmgr
		tlsmgr    unix  -       -       n       1000?   1       tlsmgr
		rewrite   unix  -       -       n       -       -       trivial-rewrite
		bounce    unix  -       -       n       -       0       bounce
		defer     unix  -       -       n       -       0       bounce
		trace     unix  -       -       n       -       0       bounce
		verify    unix  -       -       n       -       1       verify
		flush     unix  n       -       n       1000?   0       flush
		proxymap  unix  -       -       n       -       -       proxymap
		smtp      unix  -       -       n       -       -       smtp
		relay     unix  -       -       n       -       -       smtp
		showq     unix  n       -       n       -       -       showq
		error     unix  -       -       n       -       -       error
		retry     unix  -       -       n       -       -       error
		discard   unix  -       -       n       -       -       discard
		local     unix  -       n       n       -       -       local
		virtual   unix  -       n       n       -       -       virtual
		lmtp      unix  -       -       n       -       -       lmtp
		anvil     unix  -       -       n       -       1       anvil
		scache    unix  -       -       n       -       1       scache
		postlog   unix-dgram n  -       n       -       1       postlogd
	EOF
}

start_mail() {
	local twin addr
	for twin in weak hard; do
		[[ $twin == weak ]] && addr=127.0.2.14 || addr=127.0.2.15
		local m=$D/mail-$twin
		dovecot_conf $twin $addr >"$m/dovecot/dovecot.conf"
		launch dovecot-$twin "$m/dovecot" dovecot -F -c "$m/dovecot/dovecot.conf"
		postfix_conf $twin $addr
		# The master daemon itself, in the foreground: `postfix start` runs
		# a script of a hundred commands (its checks), which is slow here;
		# layout() made the queue directories it would have made.
		launch postfix-$twin "$m/postfix" /usr/lib/postfix/sbin/master -c "$m/postfix/conf"
	done
}

start_ftp() {
	local w=$D/ftp-weak h=$D/ftp-hard
	echo "vigil lab: anonymous FTP is enabled here on purpose" >"$w/pub/README"
	write "$w/vsftpd.conf" <<-EOF
		# ftp-weak: anonymous login, no TLS.
		listen=YES
		listen_ipv6=NO
		listen_address=127.0.2.16
		listen_port=21
		background=NO
		anonymous_enable=YES
		no_anon_password=YES
		anon_root=$w/pub
		local_enable=NO
		write_enable=NO
		ssl_enable=NO
		secure_chroot_dir=$w/empty
		xferlog_enable=YES
		xferlog_file=$w/xferlog
		vsftpd_log_file=$w/vsftpd.log
		pasv_enable=YES
		pasv_min_port=30000
		pasv_max_port=30099
		ftp_username=ftp
	EOF
	write "$h/vsftpd.conf" <<-EOF
		# ftp-hard: no anonymous login; TLS required for logins and data.
		# TLS >= 1.2 comes from OpenSSL 3's default security level: vsftpd
		# 3.0.3 has no switch for TLS 1.1/1.2.
		listen=YES
		listen_ipv6=NO
		listen_address=127.0.2.17
		listen_port=2121
		background=NO
		anonymous_enable=NO
		local_enable=YES
		write_enable=NO
		pam_service_name=vsftpd
		ssl_enable=YES
		rsa_cert_file=$D/certs/ftp-hard.crt
		rsa_private_key_file=$D/certs/ftp-hard.key
		ssl_sslv2=NO
		ssl_sslv3=NO
		ssl_tlsv1=NO
		ssl_ciphers=ECDHE+AESGCM:ECDHE+CHACHA20
		allow_anon_ssl=NO
		force_local_logins_ssl=YES
		force_local_data_ssl=YES
		require_ssl_reuse=NO
		secure_chroot_dir=$h/empty
		xferlog_enable=YES
		xferlog_file=$h/xferlog
		vsftpd_log_file=$h/vsftpd.log
		pasv_enable=YES
		pasv_min_port=30100
		pasv_max_port=30199
	EOF
	launch vsftpd-weak "$w" vsftpd "$w/vsftpd.conf"
	launch vsftpd-hard "$h" vsftpd "$h/vsftpd.conf"
}

start_postgres() {
	local w=$D/db-weak/pg h=$D/db-hard/pg d
	append "$w/postgresql.conf" <<-EOF

		# db-weak (vigil lab): no TLS; pg_hba trusts everyone.
		listen_addresses = '127.0.2.18'
		port = 5433
		unix_socket_directories = '$w'
		ssl = off
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		shared_buffers = 16MB
	EOF
	write "$w/pg_hba.conf" <<-EOF
		local all all trust
		host  all all 0.0.0.0/0 trust
		host  all all ::/0      trust
	EOF
	install -o postgres -g postgres -m 600 "$D/certs/db-hard.key" "$h/server.key"
	append "$h/postgresql.conf" <<-EOF

		# db-hard (vigil lab): TLS >= 1.2 only, SCRAM passwords, hostssl only.
		listen_addresses = '127.0.2.19'
		port = 5432
		unix_socket_directories = '$h'
		ssl = on
		ssl_cert_file = '$D/certs/db-hard.crt'
		ssl_key_file = 'server.key'
		ssl_min_protocol_version = 'TLSv1.2'
		ssl_ciphers = 'ECDHE+AESGCM:ECDHE+CHACHA20'
		ssl_prefer_server_ciphers = on
		password_encryption = 'scram-sha-256'
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		shared_buffers = 16MB
	EOF
	write "$h/pg_hba.conf" <<-EOF
		local   all all peer
		hostssl all all 0.0.0.0/0 scram-sha-256
		hostssl all all ::/0      scram-sha-256
	EOF
	# The postmaster, in the foreground under launch (pid = $!); its own
	# pid file is data/postmaster.pid.
	local twin
	for twin in weak hard; do
		d=$D/db-$twin/pg
		launch postgres-$twin "$d" setpriv --reuid=postgres --regid=postgres --init-groups \
			/usr/lib/postgresql/15/bin/postgres -D "$d"
	done
}

start_redis() {
	local w=$D/db-weak/redis h=$D/db-hard/redis
	# proc-title-template puts the lab dir in redis' process title, where
	# stop_all looks for it (redis overwrites its command line).
	launch redis-weak "$w" redis-server --proc-title-template "{title} {listen-addr} {server-mode} $w" --bind 127.0.2.18 --port 6379 --protected-mode no \
		--daemonize no --save "" --appendonly no --dir "$w" --logfile "$w/redis.log"
	launch redis-hard "$h" redis-server --proc-title-template "{title} {listen-addr} {server-mode} $h" --bind 127.0.2.19 --port 0 --tls-port 6390 \
		--tls-cert-file "$D/certs/db-hard.crt" --tls-key-file "$D/certs/db-hard.key" \
		--tls-ca-cert-file "$D/ca.pem" --tls-auth-clients no \
		--tls-protocols "TLSv1.2 TLSv1.3" --tls-ciphers "ECDHE+AESGCM:ECDHE+CHACHA20" \
		--tls-prefer-server-ciphers yes --requirepass vigil-lab-redis-pass \
		--daemonize no --save "" --appendonly no --dir "$h" --logfile "$h/redis.log"
}

start_memcached() {
	local m=$D/db-weak/memcached
	launch memcached "$m" memcached -u nobody -l 127.0.2.18 -p 11211 -U 0 -m 16 -c 256
}

start_mariadb() {
	local m=$D/db-weak/mariadb
	launch mariadb "$m" mariadbd --no-defaults --datadir="$m/data" --socket="$m/mysqld.sock" \
		--pid-file="$m/mariadbd.pid" --bind-address=127.0.2.18 --port=3307 --user=mysql \
		--skip-ssl --skip-name-resolve --skip-log-bin --log-error="$m/error.log" --tmpdir="$m/tmp" \
		--innodb-buffer-pool-size=16M --innodb-log-file-size=8M
}

start_mosquitto() {
	local w=$D/iot-weak/mosquitto h=$D/iot-hard/mosquitto
	write "$w/mosquitto.conf" <<-EOF
		# iot-weak: anonymous MQTT in cleartext.
		user mosquitto
		persistence false
		log_dest file $w/mosquitto.log
		listener 1883 127.0.2.20
		allow_anonymous true
	EOF
	# password_file entry for vigil / vigil-lab-mqtt-pass (PBKDF2-SHA512, as
	# mosquitto_passwd -b writes it)
	echo "vigil:$MQTT_HASH" >"$h/passwd"
	write "$h/mosquitto.conf" <<-EOF
		# iot-hard: TLS only (>= 1.2), password required.
		user mosquitto
		persistence false
		log_dest file $h/mosquitto.log
		listener 8883 127.0.2.21
		certfile $D/certs/iot-hard.crt
		keyfile $D/certs/iot-hard.key
		cafile $D/ca.pem
		tls_version tlsv1.2
		ciphers ECDHE+AESGCM:ECDHE+CHACHA20
		allow_anonymous false
		password_file $h/passwd
	EOF
	chown mosquitto "$h/passwd"
	chmod 600 "$h/passwd"
	launch mosquitto-weak "$w" mosquitto -c "$w/mosquitto.conf"
	launch mosquitto-hard "$h" mosquitto -c "$h/mosquitto.conf"
}

start_snmpd() {
	local w=$D/iot-weak/snmpd h=$D/iot-hard/snmpd
	write "$w/snmpd.conf" <<-EOF
		# iot-weak: SNMP v1/v2c with the default communities.
		agentAddress udp:127.0.2.20:161
		rocommunity public default
		rwcommunity private default
		sysName iot-weak
		sysLocation vigil lab
		sysContact lab@vigil.test
	EOF
	write "$h/snmpd.conf" <<-EOF
		# iot-hard: SNMPv3 only, authPriv (SHA/AES), no communities.
		agentAddress udp:127.0.2.21:1161
		createUser vigilv3 SHA "vigil-lab-auth" AES "vigil-lab-priv"
		rouser vigilv3 priv
		sysName iot-hard
		sysLocation vigil lab
	EOF
	launch snmpd-weak "$w" env MIBS= SNMP_PERSISTENT_DIR="$w/persist" \
		snmpd -f -C -c "$w/snmpd.conf" -I -smux -Lf "$w/snmpd.log" -p "$w/snmpd.pid"
	launch snmpd-hard "$h" env MIBS= SNMP_PERSISTENT_DIR="$h/persist" \
		snmpd -f -C -c "$h/snmpd.conf" -I -smux -Lf "$h/snmpd.log" -p "$h/snmpd.pid"
}

start_telnet() {
	local t=$D/iot-weak/telnet
	# telnetd runs this instead of /bin/login: the lab offers Telnet, not a
	# real login on this machine.
	write "$t/fake-login" <<-'EOF'
		#!/bin/sh
		printf 'iot-weak login: '
		read -r user || exit 0
		printf 'Password: '
		read -r pass || exit 0
		printf '\r\nLogin incorrect\r\n'
	EOF
	chmod 755 "$t/fake-login"
	launch telnet "$t" "$LABD" inetd 127.0.2.20:23 -- /usr/sbin/telnetd -h -E "$t/fake-login"
}

start_misc() {
	local s=$D/misc/slapd n=$D/misc/dnsmasq c=$D/misc/chrony v=$D/misc/vnc
	write "$s/slapd.conf" <<-EOF
		# misc: LDAP without TLS, anonymous read.
		include /etc/ldap/schema/core.schema
		include /etc/ldap/schema/cosine.schema
		include /etc/ldap/schema/inetorgperson.schema
		pidfile $s/slapd.pid
		argsfile $s/slapd.args
		modulepath /usr/lib/ldap
		moduleload back_mdb
		database mdb
		maxsize 10485760
		suffix "dc=vigil,dc=test"
		rootdn "cn=admin,dc=vigil,dc=test"
		rootpw vigil-lab-ldap
		directory $s/db
		access to * by * read
	EOF
	write "$s/base.ldif" <<-'EOF'
		dn: dc=vigil,dc=test
		objectClass: dcObject
		objectClass: organization
		o: vigil lab
		dc: vigil

		dn: cn=alice,dc=vigil,dc=test
		objectClass: inetOrgPerson
		cn: alice
		sn: Example
		mail: alice@vigil.test
	EOF
	slapadd -q -f "$s/slapd.conf" -l "$s/base.ldif" >>"$D/log/slapd.log" 2>&1 9>&- || die "slapadd failed: $(tail -3 "$D/log/slapd.log")"
	# slapd -d keeps it in the foreground.
	launch slapd "$s" slapd -d 0 -f "$s/slapd.conf" -h ldap://127.0.2.22:389/

	launch dnsmasq "$n" dnsmasq -k --conf-file=/dev/null --port=5353 --listen-address=127.0.2.22 \
		--bind-interfaces --no-resolv --no-hosts --no-poll --user=nobody --group=nogroup \
		--pid-file="$n/dnsmasq.pid" --log-facility="$n/dnsmasq.log" --log-queries \
		--local=/lab.vigil.test/ --domain-needed --bogus-priv \
		--host-record=www.lab.vigil.test,127.0.2.10 --host-record=ns.lab.vigil.test,127.0.2.22 \
		--txt-record=lab.vigil.test,"vigil lab"

	write "$c/chrony.conf" <<-EOF
		# misc: an NTP server that serves its own clock and asks no one.
		port 123
		bindaddress 127.0.2.22
		allow 127.0.0.0/8
		local stratum 8
		cmdport 0
		bindcmdaddress /
		pidfile $c/chronyd.pid
		driftfile $c/chrony.drift
		logdir $c
	EOF
	launch chronyd "$c" chronyd -n -x -f "$c/chrony.conf" -L 0 -l "$c/chronyd.log"

	if command -v Xvnc >/dev/null; then
		: >"$v/Xauthority"
		launch vnc "$v" Xvnc :59 -nolock -auth "$v/Xauthority" -interface 127.0.2.22 -rfbport 5901 \
			-SecurityTypes None -BlacklistThreshold 1000000 -nolisten tcp -geometry 640x480 -depth 24 -desktop vigil-lab-misc
		HAVE_VNC=1
	else
		log "Xvnc missing (tigervnc-standalone-server): no VNC service; run lab/install-deps.sh"
		HAVE_VNC=0
	fi
}

start_labd() {
	local l=$D/labd-run
	launch hostile-trickle "$l" "$LABD" trickle 127.0.2.30:7001
	launch hostile-flood "$l" "$LABD" flood 127.0.2.30:7002
	launch hostile-escape "$l" "$LABD" escape 127.0.2.30:7003
	launch legacy-tls "$l" "$LABD" -cert "$D/certs/legacy.crt" legacy-tls 127.0.2.31:4433
	launch legacy-ssh1 "$l" "$LABD" -cert "$D/certs/legacy.crt" -variant ssh1 legacy-ssh 127.0.2.31:2201
	launch legacy-terrapin "$l" "$LABD" -variant terrapin legacy-ssh 127.0.2.31:2202
	launch legacy-ssh199 "$l" "$LABD" -cert "$D/certs/legacy.crt" -variant ssh199 legacy-ssh 127.0.2.31:2205
	launch legacy-tls-garbage "$l" "$LABD" tls-garbage 127.0.2.31:4434
	launch legacy-tls-truncated "$l" "$LABD" tls-truncated 127.0.2.31:4435
	launch legacy-tls-endless "$l" "$LABD" tls-endless 127.0.2.31:4436
	launch legacy-ssh-garbage "$l" "$LABD" ssh-garbage 127.0.2.31:2203
	launch legacy-ssh-endless "$l" "$LABD" ssh-endless 127.0.2.31:2204
	# Servers that announce old, known-vulnerable versions (vuln.known),
	# each on its own alias and its product's usual port.
	launch old-apache "$l" "$LABD" -product apache old-banner 127.0.2.60:80
	launch old-nginx "$l" "$LABD" -product nginx old-banner 127.0.2.61:80
	launch old-exim "$l" "$LABD" -product exim old-banner 127.0.2.62:25
	launch old-vsftpd "$l" "$LABD" -product vsftpd old-banner 127.0.2.63:21
	launch old-proftpd "$l" "$LABD" -product proftpd old-banner 127.0.2.64:21
	launch old-memcached "$l" "$LABD" -product memcached old-banner 127.0.2.65:11211
	launch old-redis "$l" "$LABD" -product redis old-banner 127.0.2.66:6379
	launch old-dnsmasq "$l" "$LABD" -product dnsmasq old-banner 127.0.2.67:53
}

# ---------------------------------------------------------------- manifest

SERVICES=()

# json_str VAR STRING: VAR becomes STRING as a JSON string literal
# (printf -v, no command substitution: each one forks).
json_str() {
	local s=$2
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	printf -v "$1" '"%s"' "$s"
}

# svc ID HOST PORT TRANSPORT NAME TLS PRODUCT VERSION TWIN HOSTILE NOTES
svc() {
	local f=() v i
	for i in 1 2 4 5 7 8 9 10 11; do
		json_str v "${!i}"
		f[i]=$v
	done
	printf -v v '    {"id": %s, "host": %s, "port": %d, "transport": %s, "name": %s, "tls": %s, "product": %s, "version": %s, "twin": %s, "hostile": %s, "notes": %s}' \
		"${f[1]}" "${f[2]}" "$3" "${f[4]}" "${f[5]}" "$6" "${f[7]}" "${f[8]}" "${f[9]}" "${f[10]}" "${f[11]}"
	SERVICES+=("$v")
}

# core_manifest lists the services lab.sh itself starts.
core_manifest() {
	svc web-weak-http 127.0.2.10 8080 tcp http false nginx "$V_NGINX" weak "" \
		"GET / answers 401 with WWW-Authenticate: Basic; /login.html holds a password form (cleartext.http-auth)"
	svc web-weak-https 127.0.2.10 8443 tcp http true nginx "$V_NGINX" weak "" \
		"TLS 1.0/1.1/1.2, no 1.3; AES128-SHA, AES256-SHA (static RSA, CBC), AECDH-AES128-SHA (anonymous), NULL-SHA256, ECDHE-RSA-AES128-SHA; self-signed RSA-1024 SHA-1 certificate for www.weak.invalid, expired 2021-01-01"
	svc web-weak-expiring 127.0.2.10 9443 tcp http true nginx "$V_NGINX" weak "" \
		"TLS 1.2/1.3 with ECDHE AEAD suites; lab-CA certificate with IP SAN 127.0.2.10 that expires 10 days after lab.sh up (tls.cert.expiring)"
	svc web-hard-https 127.0.2.11 443 tcp http true nginx "" hard "" \
		"Mozilla intermediate: TLS 1.2/1.3, ECDHE AEAD suites only, ECDSA P-256 lab-CA certificate with IP SAN 127.0.2.11 valid 1 year, HSTS; server_tokens off (no version)"
	svc web-hard-http 127.0.2.11 80 tcp http false nginx "" hard "" \
		"only redirects (301) to https://127.0.2.11/; server_tokens off"
	svc ssh-weak 127.0.2.12 2222 tcp ssh false OpenSSH "$V_SSH" weak "" \
		"legacy kex (group1-sha1, group14-sha1, gex-sha1), CBC/3DES ciphers, MD5/SHA-1/96-bit/umac-64 MACs, RSA-1024 and DSA host keys with ssh-rsa/ssh-dss, password and keyboard-interactive auth, PermitRootLogin yes; config $D/ssh-weak/sshd_config"
	svc ssh-hard 127.0.2.13 22 tcp ssh false OpenSSH "$V_SSH" hard "" \
		"sntrup761x25519/curve25519/dh-group16+18-sha512, chacha20/aes-gcm/aes-ctr, -etm SHA-2 MACs, Ed25519 + RSA-3072 host keys, strict kex (not Terrapin-vulnerable), keys only; root logs in with client_key; config $D/ssh-hard/sshd_config"
	svc mail-weak-smtp 127.0.2.14 25 tcp smtp false Postfix "$V_POSTFIX" weak "" \
		"no STARTTLS; AUTH PLAIN LOGIN offered in cleartext (Dovecot SASL); banner shows the version"
	svc mail-weak-imap 127.0.2.14 143 tcp imap false Dovecot "" weak "" \
		"no TLS; LOGIN and AUTH=PLAIN allowed in cleartext (any user, password vigil)"
	svc mail-weak-pop3 127.0.2.14 110 tcp pop3 false Dovecot "" weak "" \
		"no TLS; USER/PASS allowed in cleartext (any user, password vigil)"
	svc mail-hard-smtp 127.0.2.15 25 tcp smtp false Postfix "" hard "" \
		"STARTTLS (TLS >= 1.2, ECDHE AEAD suites, lab-CA certificate); AUTH only after STARTTLS (smtpd_tls_auth_only)"
	svc mail-hard-imap 127.0.2.15 143 tcp imap false Dovecot "" hard "" \
		"STARTTLS required before any authentication (ssl = required); TLS >= 1.2"
	svc mail-hard-pop3 127.0.2.15 110 tcp pop3 false Dovecot "" hard "" \
		"STLS required before any authentication (ssl = required); TLS >= 1.2"
	svc mail-hard-imaps 127.0.2.15 993 tcp imap true Dovecot "" hard "" "implicit TLS >= 1.2, lab-CA certificate"
	svc mail-hard-pop3s 127.0.2.15 995 tcp pop3 true Dovecot "" hard "" "implicit TLS >= 1.2, lab-CA certificate"
	svc ftp-weak 127.0.2.16 21 tcp ftp false vsftpd "$V_VSFTPD" weak "" \
		"anonymous login accepted (no password), no AUTH TLS; config $D/ftp-weak/vsftpd.conf"
	svc ftp-hard 127.0.2.17 2121 tcp ftp false vsftpd "$V_VSFTPD" hard "" \
		"AUTH TLS (TLS >= 1.2 via OpenSSL's security level; vsftpd has no 1.2 switch), TLS forced for logins and data, no anonymous login"
	svc db-weak-postgresql 127.0.2.18 5433 tcp postgresql false PostgreSQL "" weak "" \
		"ssl = off (refuses SSLRequest with N); pg_hba trusts 0.0.0.0/0, so user postgres logs in without a password; the version (server_version) is only sent after authentication"
	svc db-weak-redis 127.0.2.18 6379 tcp redis false Redis "$V_REDIS" weak "" \
		"no password, protected-mode no: INFO answers unauthenticated (version from redis_version)"
	svc db-weak-memcached 127.0.2.18 11211 tcp memcached false memcached "$V_MEMCACHED" weak "" \
		"no SASL; the version command answers; UDP disabled"
	svc db-weak-mysql 127.0.2.18 3307 tcp mysql false MariaDB "$V_MARIADB" weak "" \
		"started with --skip-ssl (no CLIENT_SSL capability); handshake version 5.5.5-$V_MARIADB-MariaDB-…; user vigil password vigil from anywhere"
	svc db-hard-postgresql 127.0.2.19 5432 tcp postgresql false PostgreSQL "" hard "" \
		"accepts SSLRequest (TLS >= 1.2, lab-CA certificate), hostssl only, scram-sha-256; role vigil password vigil-lab-pass"
	svc db-hard-redis 127.0.2.19 6390 tcp redis true Redis "" hard "" \
		"TLS only (port 0, tls-port 6390, TLS >= 1.2, lab-CA certificate), requirepass vigil-lab-redis-pass"
	svc iot-weak-mqtt 127.0.2.20 1883 tcp mqtt false Mosquitto "$V_MOSQUITTO" weak "" \
		"anonymous CONNECT accepted in cleartext; product and version only via \$SYS/broker/version, which anonymous clients may read"
	svc iot-weak-snmp 127.0.2.20 161 udp snmp false net-snmp "" weak "" \
		"SNMP v1/v2c with rocommunity public and rwcommunity private; sysObjectID is net-snmp's (1.3.6.1.4.1.8072)"
	svc iot-weak-telnet 127.0.2.20 23 tcp telnet false "" "" weak "" \
		"inetutils telnetd under labd inetd; it runs a fake login that always refuses"
	svc iot-hard-mqtt 127.0.2.21 8883 tcp mqtt true "" "" hard "" \
		"TLS only (>= 1.2, lab-CA certificate), anonymous refused (password_file: vigil / vigil-lab-mqtt-pass); Mosquitto, which the protocol does not reveal"
	svc iot-hard-snmp 127.0.2.21 1161 udp snmp false net-snmp "" hard "" \
		"SNMPv3 only: user vigilv3, authPriv SHA/AES (vigil-lab-auth / vigil-lab-priv), no communities; the engine ID names net-snmp's enterprise 8072"
	svc misc-ldap 127.0.2.22 389 tcp ldap false OpenLDAP "" "" "" \
		"no TLS (no StartTLS extension), anonymous bind and read; suffix dc=vigil,dc=test; root DSE says OpenLDAProotDSE"
	svc misc-dns 127.0.2.22 5353 udp dns false dnsmasq "$V_DNSMASQ" "" "" \
		"authoritative for lab.vigil.test only (www.lab.vigil.test A 127.0.2.10); no upstream servers, never forwards; version.bind CHAOS TXT reveals the version"
	svc misc-dns-tcp 127.0.2.22 5353 tcp dns false dnsmasq "$V_DNSMASQ" "" "" "the same dnsmasq over TCP"
	svc misc-ntp 127.0.2.22 123 udp ntp false "" "" "" "" \
		"chronyd serving its local clock at stratum 8; no upstream servers; mode 6/7 control queries unanswered"
	if [[ $HAVE_VNC == 1 ]]; then
		svc misc-vnc 127.0.2.22 5901 tcp vnc false "" "" "" "" \
			"TigerVNC Xvnc with SecurityTypes None: no encryption, no authentication (RFB 003.008)"
	fi
	svc hostile-trickle 127.0.2.30 7001 tcp unknown false "" "" "" trickle \
		"sends an SMTP-like banner one byte per second, forever: a scanner must time out"
	svc hostile-flood 127.0.2.30 7002 tcp unknown false "" "" "" flood \
		"sends an endless banner line (megabytes, no line break): a scanner must cap what it reads"
	svc hostile-escape 127.0.2.30 7003 tcp unknown false "" "" "" escape \
		"banner holds <script>, HTML and terminal escape sequences (ESC[31m, ESC]0;pwned BEL, ESC[2J): a scanner must escape what it stores and prints"
	svc legacy-tls 127.0.2.31 4433 tcp unknown true "" "" "" legacy-tls \
		"labd emulator: SSLv2 (SERVER-HELLO with certificate), SSLv3 and TLS 1.0 (answers higher ClientHellos with TLS 1.0); EXPORT, RC4, DES, 3DES, NULL and static-RSA AES suites; RSA-1024 SHA-1 self-signed certificate; closes after ServerHelloDone, so no application protocol"
	svc legacy-ssh1 127.0.2.31 2201 tcp ssh false OpenSSH 3.9p1 "" legacy-ssh1 \
		"labd emulator: SSH-1.5-OpenSSH_3.9p1, SSH-1 only (ssh.protocol.v1); sends SSH_SMSG_PUBLIC_KEY, no key exchange"
	svc legacy-ssh199 127.0.2.31 2205 tcp ssh false OpenSSH 7.4 "" legacy-ssh199 \
		"labd emulator: SSH-1.99-OpenSSH_7.4 (SSH-1 and SSH-2); SSH-2 clients get a KEXINIT with group1-sha1, CBC, arcfour, MD5 MACs, ssh-dss"
	svc legacy-terrapin 127.0.2.31 2202 tcp ssh false OpenSSH 8.9 "" terrapin \
		"labd emulator: SSH-2.0-OpenSSH_8.9; KEXINIT offers chacha20-poly1305 and -etm MACs without kex-strict-s-v00@openssh.com (ssh.terrapin); closes after the client's KEXINIT"
	svc legacy-tls-garbage 127.0.2.31 4434 tcp unknown false "" "" "" tls-garbage \
		"answers a ClientHello with 64 KiB of random bytes: only a clean failure is expected"
	svc legacy-tls-truncated 127.0.2.31 4435 tcp unknown false "" "" "" tls-truncated \
		"answers a ClientHello with half a ServerHello, then silence: a TLS audit must time out"
	svc legacy-tls-endless 127.0.2.31 4436 tcp unknown false "" "" "" tls-endless \
		"answers a ClientHello with a 16 KiB handshake record whose ServerHello claims 16 MiB, then endless records: a TLS audit must cap and stop (a scanner may report tls)"
	svc legacy-ssh-garbage 127.0.2.31 2203 tcp unknown false "" "" "" ssh-garbage \
		"sends 64 KiB of random bytes without a line break instead of an identification string"
	svc legacy-ssh-endless 127.0.2.31 2204 tcp ssh false OpenSSH 9.6 "" ssh-endless \
		"valid SSH-2.0-OpenSSH_9.6 banner, then a packet length of 2^31 and random bytes forever: an SSH audit must cap and stop"
	# labd old-banner: product and version are what the emulator
	# announces (lab/cmd/labd/oldbanner.go), not an installed package.
	svc old-apache-http 127.0.2.60 80 tcp http false "Apache httpd" 2.4.49 "" old-banner \
		"labd emulator: Server: Apache/2.4.49 (Unix) on every answer, the stock It works! page at /, Apache's error pages; known vulnerable: CVE-2021-41773 and CVE-2021-42013 (path traversal, in CISA KEV) - the emulator serves no file"
	svc old-nginx-http 127.0.2.61 80 tcp http false nginx 1.16.1 "" old-banner \
		"labd emulator: Server: nginx/1.16.1 on every answer, the stock Welcome to nginx! page at /; known vulnerable: CVE-2019-20372 (request smuggling), CVE-2021-23017 (resolver)"
	svc old-exim-smtp 127.0.2.62 25 tcp smtp false Exim 4.91 "" old-banner \
		"labd emulator: 220 mail.lab.test ESMTP Exim 4.91 DATE; EHLO without STARTTLS or AUTH; relays for no one; known vulnerable: CVE-2019-10149 (remote command execution, in CISA KEV), CVE-2019-15846"
	svc old-vsftpd-ftp 127.0.2.63 21 tcp ftp false vsftpd 2.3.4 "" old-banner \
		"labd emulator: 220 (vsFTPd 2.3.4); no anonymous login, every login refused, no AUTH TLS; known vulnerable: CVE-2011-2523 (the backdoored 2.3.4 release) - the emulator has no backdoor"
	svc old-proftpd-ftp 127.0.2.64 21 tcp ftp false ProFTPD 1.3.5 "" old-banner \
		"labd emulator: 220 ProFTPD 1.3.5 Server (ProFTPD Default Installation) [127.0.2.64]; every login refused, no AUTH TLS, SITE refused before login; known vulnerable: CVE-2015-3306 (mod_copy), CVE-2019-12815"
	svc old-memcached 127.0.2.65 11211 tcp memcached false memcached 1.4.31 "" old-banner \
		"labd emulator: text protocol, version answers VERSION 1.4.31, stats answers without authentication (STAT version 1.4.31), stores nothing; known vulnerable: CVE-2016-8704, CVE-2016-8706"
	svc old-redis 127.0.2.66 6379 tcp redis false Redis 5.0.5 "" old-banner \
		"labd emulator: no password, PING answers +PONG, INFO answers redis_version:5.0.5, no data; other commands answer -ERR unknown command; known vulnerable: CVE-2021-32761 and later Redis CVEs"
	svc old-dnsmasq 127.0.2.67 53 udp dns false dnsmasq 2.77 "" old-banner \
		"labd emulator: version.bind CHAOS TXT answers dnsmasq-2.77; REFUSED for every other query, no upstream servers; known vulnerable: CVE-2017-14491 and the other dnsmasq CVEs before 2.78, CVE-2020-25681"
	svc old-dnsmasq-tcp 127.0.2.67 53 tcp dns false dnsmasq 2.77 "" old-banner "the same emulator over TCP"
}

write_manifest() {
	local out=$1
	SERVICES=()
	[[ -n $ONLY ]] || core_manifest
	parts manifest
	local jd jca jkey jkh juser
	json_str jd "$D"
	json_str juser "$ATTACKER"
	json_str jca "$D/ca.pem"
	json_str jkey "$D/client_ed25519"
	json_str jkh "$D/known_hosts"
	{
		printf '{\n  "dir": %s,\n  "ca": %s,\n  "client_key": %s,\n  "known_hosts": %s,\n' "$jd" "$jca" "$jkey" "$jkh"
		printf '  "attacker": {"user": %s, "uid": %d, "gid": %d},\n  "services": [\n' "$juser" "$(id -u "$ATTACKER")" "$(id -g "$ATTACKER")"
		local i n=${#SERVICES[@]}
		for ((i = 0; i < n; i++)); do
			if ((i < n - 1)); then printf '%s,\n' "${SERVICES[i]}"; else printf '%s\n' "${SERVICES[i]}"; fi
		done
		printf '  ]\n}\n'
	} >"$out"
}

# ---------------------------------------------------------------- commands

wipe() {
	find "$D" -mindepth 1 -maxdepth 1 ! -name .lock ! -name .netns.lock ! -name .vigil-lab \
		! -name .cache ! -name netns ! -name netns.json -exec rm -rf {} +
}

show_logs() {
	local f
	for f in "$D"/log/*.log "$D"/*/*.log "$D"/*/*/*.log "$D"/mail-*/postfix/maillog; do
		[[ -s $f ]] || continue
		echo "--- $f" >&2
		tail -4 "$f" >&2
	done
}

# layout: every directory of the lab, made with as few commands as possible.
layout() {
	local q pq=() w
	mkdir -p "$D"/{run,log,certs,labd-run,.cache} "$D"/ssh-{weak,hard} \
		"$D"/web-{weak,hard}/{www,tmp} "$D"/mail-{weak,hard}/dovecot/mail \
		"$D"/mail-{weak,hard}/postfix/{conf,data} \
		"$D"/ftp-weak/{empty,pub} "$D"/ftp-hard/empty \
		"$D"/db-weak/{redis,memcached,mariadb/tmp} "$D"/db-hard/redis \
		"$D"/iot-{weak,hard}/{mosquitto,snmpd/persist} "$D"/iot-weak/telnet \
		"$D"/misc/{slapd/db,dnsmasq,chrony,vnc}
	# Postfix's queue, as post-install create-missing would make it.
	for w in weak hard; do
		q=$D/mail-$w/postfix/queue
		pq+=("$q"/{active,bounce,corrupt,defer,deferred,flush,hold,incoming,private,saved,trace})
		mkdir -p "$q"/{active,bounce,corrupt,defer,deferred,flush,hold,incoming,private,saved,trace,maildrop,public,pid}
	done
	chown postfix "${pq[@]}" "$D"/mail-{weak,hard}/postfix/data
	chmod 700 "${pq[@]}" "$D"/mail-{weak,hard}/postfix/data
	chown postfix:postdrop "$D"/mail-{weak,hard}/postfix/queue/{maildrop,public}
	chmod 730 "$D"/mail-{weak,hard}/postfix/queue/maildrop
	chmod 710 "$D"/mail-{weak,hard}/postfix/queue/public
	chown www-data "$D"/web-{weak,hard}/tmp
	chown nobody:nogroup "$D"/mail-{weak,hard}/dovecot/mail "$D/misc/dnsmasq"
	chown mosquitto "$D"/iot-{weak,hard}/mosquitto
	chown mysql:mysql "$D"/db-weak/mariadb{,/tmp}
	chown _chrony "$D/misc/chrony"
}

# templates: PostgreSQL and MariaDB data directories are made once per
# server version (initdb, mariadb-install-db) and copied at every up.
templates() {
	local c=$D/.cache pg=$D/.cache/pg-$V_PG my=$D/.cache/mariadb-$V_MARIADB
	if [[ ! -f $pg/PG_VERSION ]]; then
		rm -rf "$pg" "$pg.tmp"
		install -d -o postgres -g postgres "$pg.tmp"
		runuser -u postgres -- /usr/lib/postgresql/15/bin/initdb -D "$pg.tmp" -A trust -U postgres \
			--no-sync -E UTF8 --locale=C >"$D/log/initdb.log" 2>&1 9>&- ||
			die "initdb failed: $(tail -5 "$D/log/initdb.log")"
		mv "$pg.tmp" "$pg"
	fi
	if [[ ! -d $my/data/mysql ]]; then
		rm -rf "$my" "$my.tmp"
		install -d -o mysql -g mysql "$my.tmp"
		(cd "$my.tmp" && mariadb-install-db --no-defaults --datadir="$my.tmp/data" --user=mysql \
			--auth-root-authentication-method=normal --skip-test-db \
			--innodb-log-file-size=8M) >"$D/log/mariadb-install.log" 2>&1 9>&- ||
			die "mariadb-install-db failed: $(tail -5 "$D/log/mariadb-install.log")"
		mv "$my.tmp" "$my"
	fi
	cp -a "$pg" "$D/db-weak/pg"
	cp -a "$pg" "$D/db-hard/pg"
	cp -a "$my/data" "$D/db-weak/mariadb/data"
}

cmd_up() {
	check_dir
	lock
	local t0=$SECONDS
	# A fresh machine lacks the packages; this is a no-op when all are there.
	bash "$REPO/lab/install-deps.sh" 9>&- || die "cannot install the lab's Debian packages (lab/install-deps.sh)"
	stop_all
	lo_addrs del
	wipe
	# Nothing may listen on the lab's addresses now: a leftover the sweep
	# did not recognise would answer in place of the service about to start.
	local busy="" line a
	while read -r line; do
		if [[ -z $ONLY && $line =~ [[:space:]]127\.0\.2\.(1[0-9]|2[0-2]|30|31|6[0-7]): ]]; then busy+="$line"$'\n'; fi
		for a in $(part_list addrs); do
			if [[ $line == *[[:space:]]"$a":* ]]; then busy+="$line"$'\n'; fi
		done
	done < <(ss -Hltunp 'src 127.0.2.0/24' 2>/dev/null || true)
	[[ -z $busy ]] || die "the lab's addresses (127.0.2.10-22, .30, .31, .60-67) are in use by processes lab.sh did not start:
$busy"
	log "previous lab stopped"
	layout
	parts layout
	versions
	ensure_attacker
	lo_addrs add

	# The slow steps run in the background while keys are made.
	(cd "$REPO" && go build -o "$LABD" ./lab/cmd/labd) >"$D/log/go-build.log" 2>&1 9>&- &
	local build_pid=$!
	local templates_pid
	if [[ -z $ONLY ]]; then templates & else true & fi
	templates_pid=$!
	gen_keys
	log "keys and certificates ready"
	wait "$build_pid" || die "cannot build labd: $(<"$D/log/go-build.log")"

	if [[ -z $ONLY ]]; then
		start_nginx
		start_sshd
		start_mail
		start_ftp
		start_redis
		start_memcached
		start_mosquitto
		start_snmpd
		start_telnet
		start_misc
		start_labd
	fi
	parts start
	wait "$templates_pid" || die "cannot prepare the database directories"
	if [[ -z $ONLY ]]; then
		start_mariadb
		start_postgres
	fi
	log "all daemons started"

	write_manifest "$D/manifest.json.tmp"
	if ! "$LABD" -v -timeout "${VIGIL_LAB_WAIT:-45s}" wait "$D/manifest.json.tmp" 2>"$D/log/wait.log"; then
		cat "$D/log/wait.log" >&2
		show_logs
		die "some services did not come up (logs above; all under $D)"
	fi
	if [[ -z $ONLY ]]; then
		setpriv --reuid=postgres --regid=postgres --init-groups psql -q -h "$D/db-hard/pg" -p 5432 -d postgres \
			-c "CREATE ROLE vigil LOGIN PASSWORD 'vigil-lab-pass'" >>"$D/log/postgres.log" 2>&1 9>&- ||
			die "cannot create the db-hard role: $(tail -3 "$D/log/postgres.log")"
		mariadb --socket="$D/db-weak/mariadb/mysqld.sock" -u root \
			-e "CREATE USER 'vigil'@'%' IDENTIFIED BY 'vigil'; GRANT ALL ON *.* TO 'vigil'@'%'" 9>&- ||
			die "cannot create the MariaDB user"
	fi
	log "all services answer"
	mv "$D/manifest.json.tmp" "$D/manifest.json"
	log "up: $(grep -c '"id"' "$D/manifest.json") services in $((SECONDS - t0))s; manifest $D/manifest.json"
}

cmd_down() {
	check_dir
	lock
	rm -f "$D/manifest.json"
	stop_all
	lo_addrs del
	# Parts may define NAME_down to undo what their layout made (namespaces).
	local p
	for p in "${PARTS[@]}"; do if declare -F "${p}_down" >/dev/null; then "${p}_down"; fi; done
	log "down"
}

cmd_status() {
	D=$(realpath -m "$D")
	LABD=$D/labd
	[[ -f $D/manifest.json ]] || { echo "lab: not up (no $D/manifest.json)"; exit 1; }
	local rc=0 f pid name
	for f in "$D"/run/*.pid; do
		[[ -e $f ]] || continue
		name=$(basename "$f" .pid)
		pid=$(tr -dc 0-9 <"$f")
		if [[ -n $pid && -e /proc/$pid ]]; then
			printf '%-22s pid %-8s running\n' "$name" "$pid"
		else
			printf '%-22s pid %-8s NOT RUNNING\n' "$name" "$pid"
			rc=1
		fi
	done
	if "$LABD" -timeout 5s wait "$D/manifest.json"; then
		echo "lab: all $(grep -c '"id"' "$D/manifest.json") services answer"
	else
		rc=1
	fi
	return $rc
}

[[ $(id -u) -eq 0 ]] || die "lab.sh must run as root"
case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
*)
	echo "usage: $0 up|down|status" >&2
	exit 2
	;;
esac
