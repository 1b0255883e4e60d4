# Shared by the bench scripts: `measure NAME CMD...` runs CMD $RUNS times after `prep` and records
# the median wall time and peak RSS (GNU time) in `results`; `t`, `m` read them back; `ratio A B`.
results=()
measure() {
  local name=$1; shift
  local times=() mems=()
  for _ in $(seq "$RUNS"); do
    prep
    /usr/bin/time -f "%e %M" -o time.out "$@" >/dev/null 2>run.err || { cat run.err >&2; echo "bench: $name failed" >&2; exit 1; }
    read -r t m < time.out
    times+=("$t"); mems+=("$m")
  done
  local t m
  t=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  m=$(printf '%s\n' "${mems[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  echo "bench: $name: ${t}s, $((m / 1024)) MiB (runs: ${times[*]})" >&2
  results+=("$name|$t|$m")
}
get() { for r in "${results[@]}"; do [ "${r%%|*}" = "$1" ] && { echo "$r"; return; }; done; }
t() { get "$1" | cut -d'|' -f2; }
m() { echo $(( $(get "$1" | cut -d'|' -f3) / 1024 )); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else print "-" }'; }
# replace_section FILE TAG TEXT: TEXT (which starts with <!-- TAG --> and ends with <!-- /TAG -->)
# replaces the same section of FILE, or is appended.
replace_section() {
  python3 - "$1" "$2" "$3" <<'PY'
import os, re, sys
path, tag, section = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
pat = re.compile(r"<!-- %s -->.*<!-- /%s -->" % (tag, tag), re.S)
text = pat.sub(lambda m: section, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
PY
}
