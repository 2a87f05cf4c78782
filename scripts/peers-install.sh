#!/usr/bin/env bash
# Install the peer tools of the benchmarks under scripts/.peers/ (git-ignored), idempotently.
#
#   scripts/peers-install.sh            # all: ast-grep, jscpd 5 and 4 (npm), tokei (cargo), PyDriller and faiss (pip)
#   scripts/peers-install.sh npm        # only the npm ones (seconds)
#   scripts/peers-install.sh tokei      # only tokei (compiles: 3-5 min on 2 cores)
#   scripts/peers-install.sh pydriller  # only PyDriller, in a virtual environment of its own
#   scripts/peers-install.sh faiss      # only faiss-cpu (with numpy), in a virtual environment of its own
#
# Needs node/npm, a Rust toolchain (cargo) and python3 with venv. Versions are pinned below; a tool
# already installed at its pinned version is left alone.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PEERS="${CPT_PEERS_DIR:-$HERE/.peers}"

AST_GREP_VERSION=0.51.1
JSCPD5_VERSION=5.3.3
JSCPD4_VERSION=4.3.0
TOKEI_VERSION=15.0.0
PYDRILLER_VERSION=2.12
FAISS_VERSION=1.15.1

log() { echo "peers-install: $*" >&2; }

# npm_pkg PREFIX PACKAGE VERSION: install PACKAGE@VERSION (exact) into its own prefix.
npm_pkg() {
  local prefix="$PEERS/npm/$1" pkg="$2" ver="$3"
  local installed="$prefix/node_modules/$pkg/package.json"
  if [[ -f "$installed" ]] && [[ "$(node -p "require('$installed').version" 2>/dev/null)" == "$ver" ]]; then
    log "$pkg@$ver already installed in $prefix"
    return 0
  fi
  mkdir -p "$prefix"
  [[ -f "$prefix/package.json" ]] || echo '{"private": true}' > "$prefix/package.json"
  log "installing $pkg@$ver into $prefix"
  local tries=0
  until (cd "$prefix" && npm install --no-audit --no-fund --no-save --loglevel=error -E "$pkg@$ver"); do
    tries=$((tries + 1))
    if (( tries >= 3 )); then log "npm install $pkg@$ver failed"; return 1; fi
    log "retrying npm install ($tries)"; sleep $((tries * 5))
  done
}

install_npm() {
  command -v npm >/dev/null || { log "npm not found: install node/npm first"; return 1; }
  npm_pkg ast-grep-$AST_GREP_VERSION @ast-grep/cli "$AST_GREP_VERSION"
  npm_pkg jscpd-$JSCPD5_VERSION jscpd "$JSCPD5_VERSION"
  npm_pkg jscpd-$JSCPD4_VERSION jscpd "$JSCPD4_VERSION"
}

install_tokei() {
  local root="$PEERS/cargo"
  if [[ -x "$root/bin/tokei" ]] && "$root/bin/tokei" --version 2>/dev/null | grep -q " $TOKEI_VERSION"; then
    log "tokei $TOKEI_VERSION already installed in $root"
    return 0
  fi
  command -v cargo >/dev/null || { log "cargo not found: install a Rust toolchain first"; return 1; }
  log "compiling tokei $TOKEI_VERSION into $root (takes a few minutes)"
  # A target dir of its own, so that the project's target/ is left alone.
  CARGO_TARGET_DIR="$PEERS/cargo-build" cargo install tokei --version "$TOKEI_VERSION" --locked --root "$root"
  rm -rf "$PEERS/cargo-build"
}

# venv_install LABEL VENV VERSION CHECK PACKAGE...: installs PACKAGEs into the virtual environment VENV
# unless its python already prints VERSION for the expression CHECK.
venv_install() {
  local label="$1" venv="$2" version="$3" check="$4"
  shift 4
  if [[ -x "$venv/bin/python" ]] && [[ "$("$venv/bin/python" -c "$check" 2>/dev/null)" == "$version" ]]; then
    log "$label $version already installed in $venv"
    return 0
  fi
  log "installing $label $version into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
}

install_pydriller() {
  venv_install PyDriller "$PEERS/pydriller-$PYDRILLER_VERSION" "$PYDRILLER_VERSION" \
    "import importlib.metadata as m; print(m.version('pydriller'))" "pydriller==$PYDRILLER_VERSION"
}

install_faiss() {
  venv_install faiss-cpu "$PEERS/faiss-$FAISS_VERSION" "$FAISS_VERSION" \
    "import faiss; print(faiss.__version__)" "faiss-cpu==$FAISS_VERSION" numpy
}

what="${1:-all}"
case "$what" in
  all) install_npm; install_tokei; install_pydriller; install_faiss ;;
  npm) install_npm ;;
  tokei) install_tokei ;;
  pydriller) install_pydriller ;;
  faiss) install_faiss ;;
  *) echo "usage: $0 [all|npm|tokei|pydriller|faiss]" >&2; exit 2 ;;
esac

# Where each binary lives (sourced by bench-scan.sh through `peers-install.sh paths`).
