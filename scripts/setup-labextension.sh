#!/usr/bin/env bash
# Build prodkit's JupyterLab side panel (extensions/jupyterlab -> prodkit/labextension) and
# enable it, with the prodkit.server extension, for the editable dev install in .venv.
# Idempotent and quick when nothing changed: `npm ci` only when package-lock.json is newer
# than node_modules, a build only when the sources changed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
EXT=extensions/jupyterlab
OUT=prodkit/labextension
NAME=prodkit-jupyterlab
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || PY=python3

log() { printf '\033[1m[setup-labextension]\033[0m %s\n' "$*" >&2; }

if ! command -v npm >/dev/null 2>&1; then
  log "npm not found: the side panel is not built (install nodejs + npm; browser tests will skip)"
  exit 0
fi

# A failed build must not stop the rest of the set-up: it removes the old build, says so,
# and the browser test then skips with that reason.
build_failed() {
  rm -rf "$OUT"
  log "FAILED: $1 — the side panel is not built (see the npm output above)"
  exit 0
}

# 1. node_modules exactly as package-lock.json says
if [ ! -f "$EXT/node_modules/.package-lock.json" ] || [ "$EXT/package-lock.json" -nt "$EXT/node_modules/.package-lock.json" ]; then
  log "npm ci in $EXT"
  (cd "$EXT" && { npm ci --no-audit --no-fund --loglevel=error || npm ci --no-audit --no-fund --loglevel=error; }) \
    || build_failed "npm ci"
fi

# 2. build when the sources changed since the last build
hash=$(cat "$EXT"/package.json "$EXT"/package-lock.json "$EXT"/tsconfig.json "$EXT"/src/* "$EXT"/style/* | sha256sum | cut -c1-32)
stamp="$EXT/lib/.built-$hash"
if [ ! -f "$stamp" ] || [ ! -f "$OUT/package.json" ]; then
  log "building the side panel into $OUT"
  (cd "$EXT" && npm run --silent build:prod >/dev/null) || build_failed "npm run build:prod"
  rm -f "$EXT"/lib/.built-*
  touch "$stamp"
fi

# 3. enable both for the environment of $PY (what `jupyter labextension develop` does)
PREFIX=$("$PY" -c 'import sys; print(sys.prefix)')
LABEXT_DIR="$PREFIX/share/jupyter/labextensions"
mkdir -p "$LABEXT_DIR"
if [ "$(readlink "$LABEXT_DIR/$NAME" 2>/dev/null)" != "$ROOT/$OUT" ]; then
  rm -rf "${LABEXT_DIR:?}/$NAME"
  ln -s "$ROOT/$OUT" "$LABEXT_DIR/$NAME"
  log "linked $LABEXT_DIR/$NAME -> $OUT"
fi
CONF_DIR="$PREFIX/etc/jupyter/jupyter_server_config.d"
mkdir -p "$CONF_DIR"
if ! cmp -s jupyter-config/server-config/prodkit.json "$CONF_DIR/prodkit.json"; then
  cp jupyter-config/server-config/prodkit.json "$CONF_DIR/prodkit.json"
  log "enabled the prodkit.server extension in $CONF_DIR"
fi
