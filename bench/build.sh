# What every bench/run_*.sh does first, sourced:
#   bench_build TARGET...   the release build in build-bench/ (-Dbuildtype=release,
#                           kept apart from the development build), then the targets
#                           and the service models, which UVAWS_MODEL_DIR points at
#   bench_npm_ci            npm ci in bench/ when package-lock.json changed
bench_build() {
  if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$root" -Dbuildtype=release -Dtests=disabled -Dbench=enabled >/dev/null
  fi
  ninja -C "$build" "$@" models/services.bin >/dev/null
  export UVAWS_MODEL_DIR="$build/models"
}

bench_npm_ci() {
  stamp="$bench/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$bench/package-lock.json" -nt "$stamp" ]; then
    (cd "$bench" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}
