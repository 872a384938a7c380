# Shared by tools/demo, tools/test and tools/fuzz (sourced, not run). Bash only.
#
# Environment knobs (all optional):
#   SPINDLE_JOBS          ninja -j value (default: ninja's own default)
#   SPINDLE_TEST_TIMEOUT  seconds one test program may run before it is killed (default: the
#                         timeout given to meson's test(), doubled in the sanitizer builds)
#   SPINDLE_WERROR        true/false: warnings as errors in the release build (tools/test: true;
#                         tools/demo: left as configured, off in a new build/)
#   SPINDLE_FUZZ_SECONDS  tools/test: seconds of fuzzing shared among the fuzz targets (default 50,
#                         at most 25 s per target)

SPINDLE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian packages the build needs, the real clients the server-sample tests talk to the
# servers with (nc, curl, redis-cli), the unmodified libraries the hooks are tested with
# (hiredis, libcurl; libevent for hiredis's async peer in the benchmarks), and clang 14 with its libFuzzer runtime for the fuzz
# targets (libclang-rt-14-dev has libclang_rt.fuzzer). The benchmark comparison installs its own
# extras.
SPINDLE_PACKAGES=(
  g++ meson ninja-build pkg-config
  libboost1.81-dev libboost-context1.81-dev libspdlog-dev doctest-dev liburing-dev
  netcat-openbsd curl redis-tools redis-server
  libhiredis-dev libcurl4-openssl-dev libevent-dev
  clang-14 libclang-rt-14-dev
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

# ---- libFuzzer targets (fuzz/, built in build-fuzz/) ---------------------------------------------

# configure_fuzz_build: sets build-fuzz/ up for the fuzz targets: clang++-14, ASan + UBSan, and
# libFuzzer's coverage instrumentation in every translation unit except spindle's own runtime
# (fuzz/uninstrumented.txt), so the fuzzer steers by the code under test. -fsized-deallocation is
# GCC's default and not clang 14's (the I/O layer calls sized operator delete).
configure_fuzz_build() {
  local flags=(
    -fsanitize=fuzzer-no-link
    "-fsanitize-coverage-ignorelist=$SPINDLE_ROOT/fuzz/uninstrumented.txt"
    -fsized-deallocation
  )
  CXX=clang++-14 configure_build build-fuzz -Dfuzz=true -Dtests=false -Dsamples=true -Dbench=false \
    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized \
    "-Dcpp_args=${flags[*]}"
}

# fuzz_targets: the targets fuzz/meson.build declares in build-fuzz/, one name a line.
fuzz_targets() {
  meson introspect build-fuzz --targets | python3 -c '
import json, os, sys
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t["defined_in"].endswith(os.path.join("fuzz", "meson.build")):
        print(t["name"])'
}

# build_fuzz_targets TARGET...: builds those targets and what they need, nothing else.
build_fuzz_targets() {
  local jobs=() targets=() t
  [[ -n "${SPINDLE_JOBS:-}" ]] && jobs=(-j "$SPINDLE_JOBS")
  for t in "$@"; do targets+=("fuzz/$t"); done
  ninja -C build-fuzz "${jobs[@]}" "${targets[@]}"
}

# fuzz_run TARGET SECONDS CORPUS_DIR [libFuzzer options...]: copies the seed corpus fuzz/corpus/TARGET into CORPUS_DIR
# (the checked-in one is never written) and runs build-fuzz/fuzz/TARGET on it for SECONDS (libFuzzer
# adds the inputs it finds to CORPUS_DIR), with fuzz/TARGET.dict as dictionary if there is one. A crashing input is saved in
# build-fuzz/artifacts/TARGET/ and the command that reproduces it is printed. Ends with one line:
# "fuzz TARGET: N executions in S s (R/s), cov: C, ft: F, corpus: K inputs". Returns non-zero if
# the target crashed, leaked, hit a sanitizer report or did not run.
fuzz_run() {
  local target="$1" seconds="$2" corpus="$3"
  shift 3
  local exe="build-fuzz/fuzz/$target" artifacts="build-fuzz/artifacts/$target/" log rc
  local args=(-max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$artifacts" "$@")
  [[ -f "fuzz/$target.dict" ]] && args+=(-dict="fuzz/$target.dict")
  mkdir -p "$corpus" "$artifacts"
  cp -n "fuzz/corpus/$target"/* "$corpus"/
  log="$(mktemp)"
  ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=0:${ASAN_OPTIONS:-}" \
    UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}" \
    "$exe" "${args[@]}" "$corpus" >"$log" 2>&1
  rc=$?
  # The coverage lines are many; show the start, the end and any report.
  grep -v -e '^#[0-9]' -e '^	NEW_FUNC' -e 'Uses: ' -e 'recommended dictionary' "$log" | tail -n 60
  grep -e '^#[0-9]' "$log" | tail -n 1
  python3 - "$target" "$log" "$rc" <<'PY'
import re, sys
target, log, rc = sys.argv[1], open(sys.argv[2], errors="replace").read(), int(sys.argv[3])
runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", log)
done = re.search(r"Done \d+ runs in (\d+) second", log)
last = re.findall(r"^#\d+\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/", log, re.M)
if runs and done and last:
    n, s = int(runs.group(1)), max(1, int(done.group(1)))
    cov, ft, corp = last[-1]
    print("fuzz %s: %d executions in %d s (%d/s), cov: %s, ft: %s, corpus: %s inputs"
          % (target, n, s, n // s, cov, ft, corp))
else:
    print("fuzz %s: FAILED (exit %d) after %s executions"
          % (target, rc, runs.group(1) if runs else "no"))
PY
  if ((rc != 0)); then
    local crash
    crash="$(grep -o "Test unit written to [^ ]*" "$log" | tail -n 1 | cut -d' ' -f5)"
    [[ -n "$crash" ]] && note "reproduce: $exe $crash"
  fi
  rm -f "$log"
  return "$rc"
}
