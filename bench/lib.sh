# Shared by the bench scripts: source it after cd-ing to the repository root
# and setting labdir. Defines die, lab_hold/lab_release and write_section.

# die MESSAGE… stops the script with its name and the message.
die() { echo "$0: $*" >&2; exit 1; }

# lab_hold takes a shared lock on the lab, as lab tests do, so that a
# concurrent `lab.sh up` (which restarts every service) waits until the
# measurement is done; it starts the lab only when `lab.sh status` fails.
lab_hold() {
  mkdir -p "$labdir"
  exec 8>"$labdir/.lock"
  flock -s -w 900 8 || die "the lab stays locked by another lab.sh"
  if ! lab/lab.sh status >/dev/null 2>&1; then
    flock -u 8
    echo "lab not running: lab/lab.sh up" >&2
    lab/lab.sh up 8>&- >/dev/null
    flock -s -w 900 8 || die "the lab stays locked by another lab.sh"
    lab/lab.sh status >/dev/null 2>&1 || die "the lab does not answer after lab/lab.sh up"
  fi
}
lab_release() { flock -u 8; }
# A process that outlives the script must not inherit the lock (fd 8): start
# daemons with 8>&-, or the lab stays locked after the script ends.

# write_section NAME FILE puts FILE (which holds the <!-- NAME:begin --> and
# <!-- NAME:end --> markers) in place of that section of docs/benchmarks.md,
# or appends it.
write_section() {
  python3 - "$1" "$2" <<'PY'
import re, sys, pathlib
name, new = sys.argv[1], pathlib.Path(sys.argv[2]).read_text().rstrip("\n")
p = pathlib.Path("docs/benchmarks.md")
text = p.read_text() if p.exists() else "# vigil benchmarks\n\nEvery figure here comes from a script in bench/ that runs vigil and its peer in the same run; the command to reproduce is given with each table.\n"
marks = r"<!-- %s:begin -->.*<!-- %s:end -->" % (name, name)
if re.search(marks, text, flags=re.S):
    text = re.sub(marks, lambda _: new, text, flags=re.S)
else:
    text = text.rstrip() + "\n\n" + new + "\n"
p.write_text(text)
PY
  echo "wrote the $1 section of docs/benchmarks.md"
}
