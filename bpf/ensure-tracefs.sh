#!/usr/bin/env bash
# Mounts tracefs at /sys/kernel/tracing (and debugfs at /sys/kernel/debug) when they are not
# mounted: bpftrace reads tracepoint formats and attaches uprobes through them. Most distros
# mount them at boot; minimal VMs and containers often do not ("tracepoint not found",
# "open(/sys/kernel/tracing/uprobe_events): No such file or directory"). Needs root.
# Exit 0 when tracefs is usable afterwards, 1 otherwise (with the reason on stderr).
set -u
if [ ! -e /sys/kernel/tracing/events ]; then
  mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
fi
if [ ! -e /sys/kernel/debug/tracing ]; then
  mount -t debugfs nodev /sys/kernel/debug 2>/dev/null || true
fi
if [ -e /sys/kernel/tracing/events ]; then exit 0; fi
echo "tracefs is not available at /sys/kernel/tracing (not root, or the kernel lacks CONFIG_TRACING)" >&2
exit 1
