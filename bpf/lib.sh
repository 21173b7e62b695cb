# Shared by bpf/run-lab.sh and bpf/check-scripts.sh: what each lab script needs.
#   lab_kind LAB  -> usdt | uprobe-addon | uprobe-node | tracepoint | kprobe
#   lab_args LAB PID ADDON NODE -> the positional arguments, in the script's order
# Convention: userspace labs take (BINARY, PID), kernel labs take (PID); PID 0 = all.

BPF_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LABS=(match-latency match-latency-uprobe ops-per-book event-loop-stalls gc-pressure
      syscall-send-sizes tcp-send-sizes runqlat offcpu)

lab_kind() {
  case "$1" in
    match-latency|ops-per-book) echo usdt ;;
    match-latency-uprobe) echo uprobe-addon ;;
    event-loop-stalls|gc-pressure) echo uprobe-node ;;
    syscall-send-sizes|runqlat|offcpu) echo tracepoint ;;
    tcp-send-sizes) echo kprobe ;;
    *) return 1 ;;
  esac
}

lab_args() {
  local lab=$1 pid=$2 addon=$3 node=$4
  case "$(lab_kind "$lab")" in
    usdt|uprobe-addon) echo "$addon $pid" ;;
    uprobe-node) echo "$node $pid" ;;
    tracepoint|kprobe) echo "$pid" ;;
    *) return 1 ;;
  esac
}

# The simex_engine.node a process has mapped (exact path), or empty.
addon_of_pid() {
  grep -o '/[^ ]*simex_engine\.node' "/proc/$1/maps" 2>/dev/null | head -n1
}

# Newest process running the simex server (bin/simex.js start), or empty.
find_simex_pid() {
  pgrep -n -f 'simex\.js start' || pgrep -n -f 'dist/src/cli\.js' || true
}
