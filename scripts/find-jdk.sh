# shellcheck shell=bash
#
# Finds a JDK 25 or newer for offstate and exports JAVA_HOME (and puts $JAVA_HOME/bin first on PATH).
#
# Meant to be sourced:   . scripts/find-jdk.sh || exit 1
# Run directly, it prints the chosen JAVA_HOME on stdout.
#
# Order: $JAVA_HOME if it is a JDK (has bin/javac) of version >= 25; otherwise the newest JDK >= 25
# under /usr/lib/jvm (and a few other usual places). Fails (non-zero) with a message on stderr if
# there is none. Says on stderr which JDK it chose. Safe under `set -euo pipefail`.

_offstate_min_java=25

# Prints the full Java version of the JDK at $1 (e.g. 25.0.3), or nothing.
_offstate_jdk_version() {
  local home=$1 v=""
  if [ -r "$home/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$home/release" | head -n 1)
  fi
  if [ -z "$v" ] && [ -x "$home/bin/java" ]; then
    v=$("$home/bin/java" -version 2>&1 | sed -n 's/^.* version "\([^"]*\)".*$/\1/p' | head -n 1)
  fi
  printf '%s' "$v"
}

# Prints the feature (major) version for a version string: 25.0.3 -> 25, 26-ea -> 26, 1.8.0_4 -> 8.
_offstate_major() {
  local v=$1
  case $v in 1.*) v=${v#1.} ;; esac
  v=${v%%[!0-9]*}
  printf '%s' "${v:-0}"
}

# Succeeds if $1 is a JDK (bin/java and bin/javac) of version >= the minimum.
_offstate_is_good_jdk() {
  local home=$1 v
  [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || return 1
  v=$(_offstate_jdk_version "$home")
  [ -n "$v" ] && [ "$(_offstate_major "$v")" -ge "$_offstate_min_java" ]
}

_offstate_find_jdk() {
  local home v best="" best_v="" dir
  if [ -n "${JAVA_HOME:-}" ]; then
    if _offstate_is_good_jdk "$JAVA_HOME"; then
      printf '%s' "$JAVA_HOME"
      return 0
    fi
    v=$(_offstate_jdk_version "$JAVA_HOME")
    echo "offstate: ignoring JAVA_HOME=$JAVA_HOME (${v:+Java $v, }not a JDK $_offstate_min_java+); searching for one" >&2
  fi
  for dir in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "${HOME:-/nonexistent}"/.sdkman/candidates/java/* \
             /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$dir" ] || continue
    home=$(cd "$dir" && pwd -P) || continue
    _offstate_is_good_jdk "$home" || continue
    v=$(_offstate_jdk_version "$home")
    if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$best_v" "$v" | sort -V | tail -n 1)" != "$best_v" ]; then
      best=$home
      best_v=$v
    fi
  done
  [ -n "$best" ] || return 1
  printf '%s' "$best"
}

if _offstate_jdk_home=$(_offstate_find_jdk); then
  export JAVA_HOME="$_offstate_jdk_home"
  case "${PATH:-}" in
    "$JAVA_HOME/bin" | "$JAVA_HOME/bin:"*) ;;   # already first
    *) export PATH="$JAVA_HOME/bin${PATH:+:$PATH}" ;;
  esac
  echo "offstate: using JDK $(_offstate_jdk_version "$JAVA_HOME") at $JAVA_HOME" >&2
  _offstate_found=0
else
  echo "offstate needs a JDK $_offstate_min_java or newer; set JAVA_HOME to one (none found in JAVA_HOME or under /usr/lib/jvm)" >&2
  _offstate_found=1
fi
unset -f _offstate_jdk_version _offstate_major _offstate_is_good_jdk _offstate_find_jdk
unset _offstate_min_java _offstate_jdk_home

if (return 0 2>/dev/null); then
  # sourced
  if [ "$_offstate_found" -eq 0 ]; then unset _offstate_found; return 0; else unset _offstate_found; return 1; fi
else
  # executed
  if [ "$_offstate_found" -eq 0 ]; then printf '%s\n' "$JAVA_HOME"; exit 0; else exit 1; fi
fi
