# data — personal data in databases and on a share (issue 15, vigil data):
# a real PostgreSQL and a real MariaDB holding the generated clinic of
# internal/pii/gen (several tables linked by foreign keys, a health
# column, decoys that fail their checksums), each as a weak and a hard
# twin, and two directories of files (CSV, text, e-mail, mbox, PDF, XLSX).
#
#   127.0.2.110  data-pg-weak     PostgreSQL 15, ssl = off; role reporting
#                                 can read every table (health and
#                                 identifier columns included)
#   127.0.2.111  data-pg-hard     PostgreSQL 15, ssl = on (hostssl only);
#                                 reporting reads only inventory
#   127.0.2.112  data-maria-weak  MariaDB, no TLS; 'reporting'@'%' has
#                                 SELECT on the whole clinic database
#   127.0.2.113  data-maria-hard  MariaDB, TLS required, tables encrypted
#                                 at rest (file_key_management,
#                                 innodb_encrypt_tables); reporting reads
#                                 only inventory
#   127.0.2.114  (reserved)
#   $D/data/share-weak, $D/data/share-hard  the files sources
#
# vigil logs in as vigil / vigil-lab-data-pass (PostgreSQL: pg_read_all_data;
# MariaDB: SELECT on clinic.* and mysql.*); the application role is
# clinic_app. The data is loaded in the background once each server
# answers; $D/data/ready-NAME appears when NAME is loaded (tests poll for
# it). Nothing here has an upstream or talks beyond its alias.

PARTS+=(data)
DAEMONS+=" postgres mariadbd"
data_addrs=(127.0.2.110 127.0.2.111 127.0.2.112 127.0.2.113 127.0.2.114)
data_lo=()

DATA_PASS=vigil-lab-data-pass

data_layout() {
	local d=$D/data
	rm -rf "$d"
	mkdir -p "$d"/{gen,pg-weak,pg-hard,maria-weak,maria-hard}
	chown postgres:postgres "$d"/pg-weak "$d"/pg-hard
	chown mysql:mysql "$d"/maria-weak "$d"/maria-hard
}

data_versions() {
	match V_DATA_PG '\) ([0-9.]+)' "$(/usr/lib/postgresql/15/bin/postgres --version)"
	match V_DATA_MARIA 'Ver ([0-9.]+)' "$(mariadbd --version)"
}

# data_pg TWIN ADDR: initdb, configuration, launch; then load in the
# background.
data_pg() {
	local twin=$1 addr=$2 p
	p=$D/data/pg-$twin
	runuser -u postgres -- /usr/lib/postgresql/15/bin/initdb -D "$p/db" -A trust -U postgres \
		--no-sync -E UTF8 --locale=C >"$D/log/data-initdb-$twin.log" 2>&1 9>&- ||
		die "initdb failed: $(tail -5 "$D/log/data-initdb-$twin.log")"
	append "$p/db/postgresql.conf" <<-EOF

		# data-pg-$twin (vigil lab)
		listen_addresses = '$addr'
		port = 5432
		unix_socket_directories = '$p'
		password_encryption = 'scram-sha-256'
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		shared_buffers = 16MB
	EOF
	if [[ $twin == hard ]]; then
		install -o postgres -g postgres -m 600 "$CERTS/data-pg-hard.key" "$p/db/server.key"
		append "$p/db/postgresql.conf" <<-EOF
			ssl = on
			ssl_cert_file = '$CERTS/data-pg-hard.crt'
			ssl_key_file = 'server.key'
			ssl_min_protocol_version = 'TLSv1.2'
		EOF
		write "$p/db/pg_hba.conf" <<-EOF
			local   all all trust
			hostssl all all 127.0.0.0/8 scram-sha-256
		EOF
	else
		append "$p/db/postgresql.conf" <<<"ssl = off"
		write "$p/db/pg_hba.conf" <<-EOF
			local all all trust
			host  all all 127.0.0.0/8 scram-sha-256
		EOF
	fi
	launch data-pg-$twin "$p" setpriv --reuid=postgres --regid=postgres --init-groups \
		/usr/lib/postgresql/15/bin/postgres -D "$p/db"
	local grant="GRANT SELECT ON ALL TABLES IN SCHEMA public TO reporting;"
	[[ $twin == hard ]] && grant="GRANT SELECT ON inventory TO reporting;"
	(
		for _ in $(seq 1200); do # up to 2 minutes on a loaded machine
			runuser -u postgres -- psql -qAt -h "$p" -p 5432 -d postgres -c 'SELECT 1' >/dev/null 2>&1 && break
			sleep 0.1
		done
		runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -h "$p" -p 5432 -d postgres <<-EOF || exit 1
			CREATE ROLE clinic_app LOGIN PASSWORD '$DATA_PASS';
			CREATE ROLE reporting LOGIN PASSWORD '$DATA_PASS';
			CREATE ROLE vigil LOGIN PASSWORD '$DATA_PASS';
			GRANT pg_read_all_data TO vigil;
			CREATE DATABASE clinic OWNER clinic_app;
		EOF
		{
			echo "SET ROLE clinic_app;"
			cat "$D/data/gen/postgres.sql"
			echo "$grant"
		} | runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -h "$p" -p 5432 -d clinic >/dev/null || exit 1
		touch "$D/data/ready-pg-$twin"
	) >>"$D/log/data-seed.log" 2>&1 9>&- &
}

# data_maria TWIN ADDR: install a data directory, launch, then load in the
# background.
data_maria() {
	local twin=$1 addr=$2 m extra=()
	m=$D/data/maria-$twin
	mkdir -p "$m/tmp" && chown mysql:mysql "$m/tmp"
	(cd "$m" && mariadb-install-db --no-defaults --datadir="$m/data" --user=mysql \
		--auth-root-authentication-method=normal --skip-test-db \
		--innodb-log-file-size=8M) >"$D/log/data-maria-install-$twin.log" 2>&1 9>&- ||
		die "mariadb-install-db failed: $(tail -5 "$D/log/data-maria-install-$twin.log")"
	if [[ $twin == hard ]]; then
		install -o mysql -g mysql -m 600 "$CERTS/data-maria-hard.key" "$m/server.key"
		# One 256-bit key for file_key_management (lab only).
		printf '1;%s\n' "$(openssl rand -hex 32)" >"$m/keys.txt"
		chown mysql:mysql "$m/keys.txt" && chmod 600 "$m/keys.txt"
		extra=(--ssl-cert="$CERTS/data-maria-hard.crt" --ssl-key="$m/server.key" --require-secure-transport=ON
			--plugin-load-add=file_key_management --file-key-management-filename="$m/keys.txt"
			--innodb-encrypt-tables=ON --innodb-encrypt-log=ON --innodb-encryption-threads=1)
	else
		extra=(--skip-ssl)
	fi
	launch data-maria-$twin "$m" mariadbd --no-defaults --datadir="$m/data" --socket="$m/mysqld.sock" \
		--pid-file="$m/mariadbd.pid" --bind-address="$addr" --port=3306 --user=mysql \
		--skip-name-resolve --skip-log-bin --log-error="$m/error.log" --tmpdir="$m/tmp" \
		--innodb-buffer-pool-size=16M --innodb-log-file-size=8M "${extra[@]}"
	local grant="GRANT SELECT ON clinic.* TO 'reporting'@'%';"
	[[ $twin == hard ]] && grant="GRANT SELECT ON clinic.inventory TO 'reporting'@'%';"
	(
		for _ in $(seq 1200); do # up to 2 minutes on a loaded machine
			mariadb-admin --socket="$m/mysqld.sock" -u root ping >/dev/null 2>&1 && break
			sleep 0.1
		done
		mariadb --socket="$m/mysqld.sock" -u root <<-EOF || exit 1
			CREATE DATABASE clinic CHARACTER SET utf8mb4;
			CREATE USER 'clinic_app'@'%' IDENTIFIED BY '$DATA_PASS';
			CREATE USER 'reporting'@'%' IDENTIFIED BY '$DATA_PASS';
			CREATE USER 'vigil'@'%' IDENTIFIED BY '$DATA_PASS';
			GRANT ALL ON clinic.* TO 'clinic_app'@'%';
			GRANT SELECT ON clinic.* TO 'vigil'@'%';
			GRANT SELECT ON mysql.* TO 'vigil'@'%';
		EOF
		mariadb --socket="$m/mysqld.sock" -u root clinic <"$D/data/gen/mysql.sql" || exit 1
		mariadb --socket="$m/mysqld.sock" -u root -e "$grant" || exit 1
		touch "$D/data/ready-maria-$twin"
	) >>"$D/log/data-seed.log" 2>&1 9>&- &
}

data_start() {
	data_versions
	"$LABD" data-gen "$D/data/gen" >>"$D/log/data-gen.log" 2>&1 9>&- ||
		die "cannot generate the clinic data: $(tail -3 "$D/log/data-gen.log")"
	mv "$D/data/gen/share-weak" "$D/data/share-weak"
	mv "$D/data/gen/share-hard" "$D/data/share-hard"
	chmod 644 "$D/data/gen/"*.sql
	leaf data-pg-hard 127.0.2.111 IP:127.0.2.111 ec 365
	leaf data-maria-hard 127.0.2.113 IP:127.0.2.113 ec 365
	local pids=()
	data_pg weak 127.0.2.110 &
	pids+=($!)
	data_pg hard 127.0.2.111 &
	pids+=($!)
	data_maria weak 127.0.2.112 &
	pids+=($!)
	data_maria hard 127.0.2.113 &
	pids+=($!)
	local pid
	for pid in "${pids[@]}"; do wait "$pid" || die "cannot start the data part's databases (logs in $D/log/data-*)"; done
}

data_manifest() {
	# PostgreSQL $V_DATA_PG: it says its version only after authentication,
	# so the manifest names none (as for the core lab's).
	svc data-pg-weak 127.0.2.110 5432 tcp postgresql false PostgreSQL "" weak "" \
		"ssl = off; role reporting reads every clinic table (health and identifier columns)"
	svc data-pg-hard 127.0.2.111 5432 tcp postgresql false PostgreSQL "" hard "" \
		"hostssl only (TLS >= 1.2); reporting reads only inventory"
	svc data-maria-weak 127.0.2.112 3306 tcp mysql false MariaDB "$V_DATA_MARIA" weak "" \
		"no TLS; 'reporting'@'%' has SELECT on clinic.*"
	svc data-maria-hard 127.0.2.113 3306 tcp mysql false MariaDB "$V_DATA_MARIA" hard "" \
		"TLS required, innodb_encrypt_tables=ON; reporting reads only clinic.inventory"
}
