# Shared by tools/demo and tools/test (sourced, not run). Bash only.
#
# Environment knobs (all optional):
#   SPINDLE_JOBS          ninja -j value (default: ninja's own default)
#   SPINDLE_TEST_TIMEOUT  seconds one test program may run before it is killed (default: the
#                         timeout given to meson's test(), doubled in the sanitizer builds)
#   SPINDLE_WERROR        true/false: warnings as errors in the release build (tools/test: true;
#                         tools/demo: left as configured, off in a new build/)

SPINDLE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian packages the build needs, and the real clients the server-sample tests talk to the
# servers with (nc, curl, redis-cli). The benchmark comparison installs its own extras.
SPINDLE_PACKAGES=(
  g++ meson ninja-build pkg-config
  libboost1.81-dev libboost-context1.81-dev libspdlog-dev doctest-dev liburing-dev
  netcat-openbsd curl redis-tools redis-server
)

heading() {
  printf '\n==== %s ====\n' "$*"
}

note() {
  printf '[spindle] %s\n' "$*"
}

# Installs whatever of SPINDLE_PACKAGES is missing; does nothing (and needs no network) when all
# are present.
ensure_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    note "not a Debian system (no dpkg-query): assuming ${SPINDLE_PACKAGES[*]} are available"
    return 0
  fi
  local missing=() p
  for p in "${SPINDLE_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  if ((${#missing[@]} == 0)); then
    note "all build dependencies are installed"
    return 0
  fi
  heading "Installing missing packages: ${missing[*]}"
  local sudo=()
  if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      note "missing packages (${missing[*]}) and not root: run as root or install them yourself" >&2
      return 1
    fi
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
}

# configure_build DIR [meson options...]: sets DIR up, or reconfigures it with the given options.
configure_build() {
  local dir="$1"
  shift
  if [[ -f "$dir/meson-private/coredata.dat" ]]; then
    meson setup --reconfigure "$dir" "$@" || meson setup --wipe "$dir" "$@"
  else
    meson setup "$dir" "$@"
  fi
}

# build DIR: ninja with its default parallelism unless SPINDLE_JOBS says otherwise.
build() {
  local jobs=()
  [[ -n "${SPINDLE_JOBS:-}" ]] && jobs=(-j "$SPINDLE_JOBS")
  ninja -C "$1" "${jobs[@]}"
}

# run_suite BUILD_DIR [extra test-program args...]
# Runs every test that meson registered in BUILD_DIR (its command, env and workdir, as
# `meson test` would), streaming the output. Extra args go to doctest programs only (those are
# recognised by their summary line being printed for --list-test-cases). Appends doctest's
# test-case counts to the file named by $SPINDLE_COUNTS as "passed failed"; a program that is
# not doctest counts as one case; a doctest program that exits non-zero although all its cases
# passed (a sanitizer report at exit, a crash after the summary) counts one extra failure.
# With SPINDLE_DOCTEST_ONLY set, programs that are not doctest are skipped.
# Returns non-zero if anything failed.
run_suite() {
  python3 - "$@" <<'PY'
import json, os, re, subprocess, sys, threading

build_dir, extra = sys.argv[1], sys.argv[2:]
fixed_timeout = int(os.environ.get("SPINDLE_TEST_TIMEOUT", "0"))
multiplier = float(os.environ.get("SPINDLE_TIMEOUT_MULTIPLIER", "1"))
counts_file = os.environ["SPINDLE_COUNTS"]
ansi = re.compile(r"\x1b\[[0-9;]*m")
summary_re = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")

tests = json.loads(subprocess.run(["meson", "introspect", build_dir, "--tests"],
                                  check=True, capture_output=True, text=True).stdout)
if not tests:
    print("[spindle] no tests are registered in %s (tests/ not written yet?)" % build_dir)
    sys.exit(0)

def is_doctest(cmd, env, cwd):
    try:
        out = subprocess.run(cmd + ["--list-test-cases", "--no-colors"], env=env, cwd=cwd,
                             capture_output=True, text=True, timeout=120,
                             stdin=subprocess.DEVNULL).stdout
    except Exception:
        return False
    return "[doctest]" in out

total_pass = total_fail = 0
bad = False
for t in tests:
    env = dict(os.environ)
    env.update(t.get("env") or {})
    cwd = t.get("workdir") or build_dir
    cmd = list(t["cmd"])
    doctest = is_doctest(cmd, env, cwd)
    if not doctest and os.environ.get("SPINDLE_DOCTEST_ONLY"):
        print("---- %s: not a doctest program, skipped in this run" % t["name"])
        continue
    if doctest:
        cmd += ["--no-colors"] + extra
    # The time limit meson test would use (its default is 30 s, 0 means none), times the
    # multiplier (sanitizer builds are slower), unless SPINDLE_TEST_TIMEOUT fixes it.
    timeout = fixed_timeout or int((t.get("timeout") or 1800) * multiplier)
    print("---- %s: %s" % (t["name"], " ".join(cmd)), flush=True)
    lines = []
    try:
        # Own process group, so a timeout also kills the children a test may have started.
        p = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
        killed = []
        def kill_group():
            killed.append(1)
            try:
                os.killpg(p.pid, 9)
            except OSError:
                pass
        timer = threading.Timer(timeout, kill_group)
        timer.start()
        for raw in p.stdout:
            line = raw.decode("utf-8", "replace")
            sys.stdout.write(line)
            sys.stdout.flush()
            lines.append(line)
        rc = p.wait()
        timer.cancel()
        timed_out = bool(killed)
    except OSError as e:
        print("[spindle] cannot run %s: %s" % (cmd[0], e))
        rc, timed_out = 127, False
    if timed_out:
        print("[spindle] %s killed after %d s" % (t["name"], timeout))
    if t.get("should_fail"):
        rc = 0 if rc != 0 else 1
    passed = failed = 0
    summary = None
    for line in lines:
        m = summary_re.search(ansi.sub("", line))
        if m:
            summary = m
    if doctest and summary:
        passed, failed = int(summary.group(2)), int(summary.group(3))
        if rc != 0 and failed == 0:
            print("[spindle] %s: all cases passed but it exited with %d: counted as one failure"
                  % (t["name"], rc))
            failed = 1
    else:
        if doctest:
            print("[spindle] %s: no doctest summary (crashed?): counted as one failure" % t["name"])
        passed, failed = (1, 0) if rc == 0 else (0, 1)
    print("---- %s: exit %d, %d passed, %d failed" % (t["name"], rc, passed, failed), flush=True)
    total_pass += passed
    total_fail += failed
    bad = bad or rc != 0 or failed > 0

with open(counts_file, "a") as f:
    f.write("%d %d\n" % (total_pass, total_fail))
sys.exit(1 if bad else 0)
PY
}

# count_cases BUILD_DIR DOCTEST_FILTER...: how many doctest cases in BUILD_DIR's test programs
# pass the filter (0 if none, or no doctest program).
count_cases() {
  python3 - "$@" <<'PY'
import json, os, re, subprocess, sys
build_dir, extra = sys.argv[1], sys.argv[2:]
try:
    tests = json.loads(subprocess.run(["meson", "introspect", build_dir, "--tests"], check=True,
                                      capture_output=True, text=True).stdout)
except Exception:
    tests = []
n = 0
for t in tests:
    env = dict(os.environ)
    env.update(t.get("env") or {})
    try:
        out = subprocess.run(list(t["cmd"]) + ["--list-test-cases", "--no-colors"] + extra,
                             env=env, cwd=t.get("workdir") or build_dir, capture_output=True,
                             text=True, timeout=120, stdin=subprocess.DEVNULL).stdout
    except Exception:
        continue
    m = re.search(r"test cases passing the current filters:\s*(\d+)", out)
    if m:
        n += int(m.group(1))
print(n)
PY
}
