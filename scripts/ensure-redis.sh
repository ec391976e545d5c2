#!/usr/bin/env bash
# Sourced by ./offstate test and offstate: the Redis checkpoint tests start a real redis-server
# (Debian's package); install it when it is missing, or stop with a clear message (returns 1).
if ! command -v redis-server >/dev/null 2>&1; then
  echo "offstate: redis-server not found; installing it (apt-get install redis-server)" >&2
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "offstate: cannot install redis-server: not root and no sudo; install it (apt-get install redis-server) and run again" >&2
    return 1
  fi
  if ! command -v apt-get >/dev/null 2>&1 \
      || ! { "${as_root[@]}" apt-get update && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server; } \
      || ! command -v redis-server >/dev/null 2>&1; then
    echo "offstate: installing redis-server failed; install it (apt-get install redis-server) and run again" >&2
    return 1
  fi
fi

