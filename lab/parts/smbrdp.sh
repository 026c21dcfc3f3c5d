# smbrdp — SMB (Samba's smbd) and RDP (xrdp; FreeRDP's shadow server under
# Xvfb with NLA) with weak and hardened twins. Sourced by lab/lab.sh.
#
# smbd only listens on addresses an interface carries: 127.0.2.45 and .46
# are added to lo as /32 (smbrdp_lo) and removed by `down`. No nmbd, no
# NetBIOS, no printing: nothing broadcasts.

PARTS+=(smbrdp)
DAEMONS+=" smbd samba-dcerpcd rpcd_classic rpcd_epmapper rpcd_winreg rpcd_lsad rpcd_fsrvp rpcd_mdssvc rpcd_rpcecho rpcd_spoolss xrdp Xvfb freerdp-shadow-"  # process names (comm, 15 characters at most)
smbrdp_addrs=(127.0.2.45 127.0.2.46 127.0.2.47 127.0.2.48)
smbrdp_lo=(127.0.2.45 127.0.2.46)

# smbrdp_smbconf DIR ADDR NETBIOS EXTRA…: an smb.conf for a standalone
# smbd on ADDR:445 whose state lives under DIR.
smbrdp_smbconf() {
	local d=$1 addr=$2 name=$3
	shift 3
	mkdir -p "$d"/{private,lock,state,cache,run,ncalrpc,share,public}
	chmod 755 "$d/public" "$d/share"
	{
		cat <<-EOF
			[global]
			  server role = standalone server
			  workgroup = VIGILLAB
			  netbios name = $name
			  server string = vigil lab
			  interfaces = $addr/32
			  bind interfaces only = yes
			  smb ports = 445
			  disable netbios = yes
			  private dir = $d/private
			  lock directory = $d/lock
			  state directory = $d/state
			  cache directory = $d/cache
			  pid directory = $d/run
			  ncalrpc dir = $d/ncalrpc
			  passdb backend = tdbsam:$d/private/passdb.tdb
			  log file = $d/smbd.log
			  log level = 1
			  load printers = no
			  printing = bsd
			  printcap name = /dev/null
			  disable spoolss = yes
			  usershare path =
			  guest account = nobody
		EOF
		printf '  %s\n' "$@"
	} >"$d/smb.conf"
}

smbrdp_layout() {
	local s=$D/smbrdp
	mkdir -p "$s"
	smbrdp_smbconf "$s/smb-weak" 127.0.2.45 SMBWEAK \
		"server min protocol = NT1" "server signing = disabled" "map to guest = bad user" \
		"restrict anonymous = 0" "smb ports = 445 139"
	cat >>"$s/smb-weak/smb.conf" <<-EOF
		[public]
		  path = $s/smb-weak/public
		  guest ok = yes
		  read only = yes
		  comment = guest share
		[records]
		  path = $s/smb-weak/share
		  read only = yes
		  comment = second share
	EOF
	smbrdp_smbconf "$s/smb-hard" 127.0.2.46 SMBHARD \
		"server min protocol = SMB2_10" "server signing = mandatory" "map to guest = never" \
		"restrict anonymous = 2"
	cat >>"$s/smb-hard/smb.conf" <<-EOF
		[records]
		  path = $s/smb-hard/share
		  read only = yes
		  guest ok = no
	EOF

	# xrdp: TLS or standard RDP security, never NLA (xrdp cannot require it).
	mkdir -p "$s/xrdp"
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=rdp-weak.lab.invalid \
		-keyout "$s/xrdp/key.pem" -out "$s/xrdp/cert.pem" 2>/dev/null
	cat >"$s/xrdp/xrdp.ini" <<-EOF
		[Globals]
		ini_version=1
		fork=false
		port=tcp://127.0.2.47:3389
		security_layer=negotiate
		crypt_level=high
		certificate=$s/xrdp/cert.pem
		key_file=$s/xrdp/key.pem
		ssl_protocols=TLSv1.2, TLSv1.3
		[Logging]
		LogFile=$s/xrdp/xrdp.log
		LogLevel=INFO
		EnableSyslog=false
		[Channels]
		rdpdr=false
		rdpsnd=false
		drdynvc=false
		cliprdr=false
		rail=false
		xrdpvr=false
	EOF

	# FreeRDP's shadow server: NLA only (/sec:nla), a SAM file of one user.
	mkdir -p "$s/shadow"
	printf 'vigil:::8846f7eaee8fb117ad06bdd830b7586c:::\n' >"$s/shadow/sam"
}

smbrdp_start() {
	local s=$D/smbrdp twin
	for twin in weak hard; do
		launch smb-$twin "$s/smb-$twin" smbd --foreground --no-process-group --debug-stdout \
			-s "$s/smb-$twin/smb.conf"
	done
	launch rdp-weak "$s/xrdp" xrdp --nodaemon --config "$s/xrdp/xrdp.ini"
	# Xvfb on display :94 (its Unix socket only). A lock left by a killed
	# Xvfb would stop a new one; ours were stopped before start.
	if ! pgrep -f '^Xvfb :94 ' >/dev/null; then
		rm -f /tmp/.X94-lock /tmp/.X11-unix/X94
	fi
	launch rdp-hard-x "$s/shadow" Xvfb :94 -nolisten tcp -noreset -screen 0 640x480x24
	# The shadow server needs the display: it waits (polling, at most 10 s)
	# until Xvfb accepts connections on its socket (a socket file alone may
	# be a dead server's), then becomes freerdp-shadow-cli.
	launch rdp-hard "$s/shadow" env DISPLAY=:94 HOME="$s/shadow" bash -c \
		'for _ in $(seq 200); do socat -u OPEN:/dev/null UNIX-CONNECT:/tmp/.X11-unix/X94 2>/dev/null && break; sleep 0.05; done; exec "$@"' shadow \
		freerdp-shadow-cli /bind-address:127.0.2.48 /port:3389 /sec:nla /sam-file:"$s/shadow/sam" -auth
}

smbrdp_manifest() {
	local V_SAMBA
	match V_SAMBA 'Version ([0-9.]+)' "$(smbd --version)"
	svc smb-weak 127.0.2.45 445 tcp smb false Samba "$V_SAMBA" weak "" \
		"SMB1 (NT1) accepted, signing disabled, map to guest = bad user, guest share public and share records listable; version from SMB1 NativeLanMan"
	svc smb-weak-139 127.0.2.45 139 tcp smb false Samba "$V_SAMBA" weak "" \
		"the same smbd on the NetBIOS session service port (smb ports = 445 139; Samba takes SMB there without a NetBIOS session request)"
	svc smb-hard 127.0.2.46 445 tcp smb false Samba "" hard "" \
		"SMB 2.1+ only, signing mandatory, no guest, restrict anonymous = 2"
	svc rdp-weak 127.0.2.47 3389 tcp rdp false xrdp "" weak "" \
		"xrdp: security_layer=negotiate accepts TLS and standard RDP security without NLA"
	svc rdp-hard 127.0.2.48 3389 tcp rdp false FreeRDP "" hard "" \
		"freerdp-shadow-cli /sec:nla under Xvfb: HYBRID_REQUIRED_BY_SERVER to TLS-only requests"
}
