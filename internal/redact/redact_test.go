package redact

import (
	"strings"
	"testing"
)

// TestString hides the secrets of real-world command lines and
// configuration lines, and nothing else. S1, S2, … stand for the secrets:
// a result must contain none of them.
func TestString(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// Redis
		{"redis-server requirepass", "redis-server *:6379 --requirepass S1", "redis-server *:6379 --requirepass ********"},
		{"redis-server masterauth", "redis-server /etc/redis/redis.conf --masterauth S1 --port 6380", "redis-server /etc/redis/redis.conf --masterauth ******** --port 6380"},
		{"redis-cli -a", "redis-cli -h 10.0.0.5 -a S1 ping", "redis-cli -h 10.0.0.5 -a ******** ping"},
		{"redis-cli --pass", "redis-cli --pass S1 --no-auth-warning", "redis-cli --pass ******** --no-auth-warning"},
		{"redis.conf requirepass", "requirepass S1", "requirepass ********"},
		{"redis.conf quoted", `masterauth "S1 with spaces" # note`, `masterauth ******** # note`},
		{"redis ACL", "user app on >S1 #S2 ~* +@all", "user app on >******** #******** ~* +@all"},
		{"redis URL", "celery worker --broker redis://:S1@127.0.0.1:6379/0", "celery worker --broker redis://:********@127.0.0.1:6379/0"},
		// MySQL / MariaDB
		{"mysql -p glued", "mysql -u root -pS1 app", "mysql -u root -p******** app"},
		{"mysqldump --password=", "mysqldump --password=S1 --all-databases", "mysqldump --password=******** --all-databases"},
		{"mysqladmin --password", "mysqladmin --password S1 status", "mysqladmin --password ******** status"},
		{"MYSQL_PWD", "env MYSQL_PWD=S1 mysql", "env MYSQL_PWD=******** mysql"},
		{"mysql DSN", "app --dsn app:S1@tcp(db:3306)/app", "app --dsn app:S1@tcp(db:3306)/app"}, // not a URL: see below
		// PostgreSQL
		{"postgres URL", "pgbouncer postgres://app:S1@db/app", "pgbouncer postgres://app:********@db/app"},
		{"postgresql URL with query", "app postgresql://u:S1@h:5432/d?sslmode=require", "app postgresql://u:********@h:5432/d?sslmode=require"},
		{"libpq keywords", `psql "host=db password=S1 dbname=x"`, `psql "host=db password=******** dbname=x"`},
		{"postgres -c", "postgres -D /var/lib/pg -c ssl_key_passphrase=S1", "postgres -D /var/lib/pg -c ssl_key_passphrase=********"},
		{"PGPASSWORD", "PGPASSWORD=S1 pg_dump app", "PGPASSWORD=******** pg_dump app"},
		// MongoDB
		{"mongodb URL", "mongosh mongodb://admin:S1@localhost:27017/?authSource=admin", "mongosh mongodb://admin:********@localhost:27017/?authSource=admin"},
		{"mongo -p", "mongo -u admin -p S1 --authenticationDatabase admin", "mongo -u admin -p ******** --authenticationDatabase admin"},
		{"mongod tls password", "mongod --tlsCertificateKeyFilePassword S1", "mongod --tlsCertificateKeyFilePassword ********"},
		// Java
		{"java -D password", "java -Ddb.password=S1 -Dserver.port=8080 -jar app.jar", "java -Ddb.password=******** -Dserver.port=8080 -jar app.jar"},
		{"java keystore", "java -Djavax.net.ssl.keyStorePassword=S1 -jar x.jar", "java -Djavax.net.ssl.keyStorePassword=******** -jar x.jar"},
		{"spring", "java -jar app.jar --spring.datasource.password=S1", "java -jar app.jar --spring.datasource.password=********"},
		// Cloud and API tools
		{"api key", "exporter --api-key=S1 --listen :9100", "exporter --api-key=******** --listen :9100"},
		{"private key", "agent --private-key=S1", "agent --private-key=********"},
		{"client key", "agent --client-key S1 --server x", "agent --client-key ******** --server x"},
		{"token", "node server.js --token S1", "node server.js --token ********"},
		{"auth", "app --auth S1", "app --auth ********"},
		{"aws env", "AWS_SECRET_ACCESS_KEY=S1 aws s3 ls", "AWS_SECRET_ACCESS_KEY=******** aws s3 ls"},
		{"aws configure", "aws configure set aws_secret_access_key S1", "aws configure set aws_secret_access_key ********"},
		{"az", "az login --service-principal -u app -p S1 --tenant t", "az login --service-principal -u app -p ******** --tenant t"},
		{"gcloud key file is a path", "gcloud auth activate-service-account --key-file=/etc/sa.json", "gcloud auth activate-service-account --key-file=/etc/sa.json"},
		{"GITHUB_TOKEN", "GITHUB_TOKEN=S1 runner", "GITHUB_TOKEN=******** runner"},
		{"curl -u", "curl -u admin:S1 https://x", "curl -u admin:******** https://x"},
		{"bearer header", "curl -H 'Authorization: Bearer S1abcdefgh' https://x", "curl -H 'Authorization: Bearer ******** https://x"},
		{"openssl passin", "openssl rsa -in k.pem -passin pass:S1", "openssl rsa -in k.pem -passin ********"},
		{"sshpass", "sshpass -p S1 ssh host", "sshpass -p ******** ssh host"},
		// Single-string process titles
		{"title", "myapp --password S1", "myapp --password ********"},
		{"title secret=", "worker: secret=S1 queue=default", "worker: secret=******** queue=default"},
		{"yaml-like", "password: S1", "password: ********"},
		{"ini-like", "password = S1", "password = ********"},
		// Left alone: evidence, not secrets.
		{"sshd title", "sshd: /usr/sbin/sshd -D -f /etc/ssh/sshd_config -E /var/log/x [listener] 0 of 10-100 startups", ""},
		{"nginx title", "nginx: master process /usr/sbin/nginx -p /etc/nginx/ -c nginx.conf", ""},
		{"postgres", "/usr/lib/postgresql/15/bin/postgres -D /var/lib/pg -c listen_addresses=10.0.0.5 -p 5433", ""},
		{"memcached", "memcached -u nobody -l 127.0.2.20 -p 11211 -P /run/memcached.pid", ""},
		{"mysqld", "mysqld --port=3306 --socket=/run/mysqld/mysqld.sock --pid-file=/run/x.pid", ""},
		{"sshd_config", "PasswordAuthentication yes", ""},
		{"sshd_config empty", "PermitEmptyPasswords no", ""},
		{"sshd_config methods", "AuthenticationMethods publickey,password", ""},
		{"pg", "password_encryption = scram-sha-256", ""},
		{"listen_address", "listen_address=127.0.2.17", ""},
		{"vsftpd", "vsftpd /etc/vsftpd.conf -oanonymous_enable=NO", ""},
		{"java urandom", "java -Djava.security.egd=file:/dev/./urandom -jar x.jar", ""},
		{"password file", "app --password-file /run/secrets/db", ""},
		{"no value", "redis-cli --askpass", ""},
		{"leading space", "  requirepass S1", "  requirepass ********"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == "" {
				want = tt.in
			}
			got := String(tt.in)
			if got != want {
				t.Errorf("String(%q)\n got %q\nwant %q", tt.in, got, want)
			}
		})
	}
}

// TestArgsAndTitlesAgree: a command line split into arguments and the same
// line as one rewritten title hide the same secrets.
func TestArgsAndTitlesAgree(t *testing.T) {
	args := []string{"redis-server", "--masterauth", "S1", "-a", "S2", "--api-key=S3", "-pS4", "postgres://app:S5@db/app"}
	a, b := Args(args), String(strings.Join(args, " "))
	if a != b {
		t.Errorf("Args %q != String %q", a, b)
	}
	for _, s := range []string{"S1", "S2", "S3", "S4", "S5"} {
		if strings.Contains(a, s) {
			t.Errorf("%q leaks %s", a, s)
		}
	}
}

func TestSecretKey(t *testing.T) {
	for name, want := range map[string]bool{
		"--password": true, "requirepass": true, "masterauth": true, "db_password": true, "DB_PASS": true,
		"apiKey": true, "api-key": true, "client_secret": true, "X-Auth-Token": true, "-Ddb.password": true,
		"PasswordAuthentication": false, "password_encryption": false, "key-file": false, "keyfile": false,
		"listen_address": false, "port": false, "bypass": false, "compass": false, "author": false, "passwordfile": true,
		"password-file": false, "monkey": false, "key": false,
	} {
		if got := SecretKey(name); got != want {
			t.Errorf("SecretKey(%q) = %v, want %v", name, got, want)
		}
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"redis-server --requirepass S", `masterauth "a b`, "user x >p", "-p", "a=b=c", "   ", "'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		if String(out) != out {
			t.Errorf("not idempotent: %q -> %q -> %q", s, out, String(out))
		}
	})
}
