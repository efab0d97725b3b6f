# What every bench/run_*.sh does first, sourced:
#   bench_build TARGET...   the release build in build-bench/ (-Dbuildtype=release,
#                           kept apart from the development build), then the targets
#   bench_npm_ci            npm ci in bench/ when package-lock.json changed
bench_build() {
  if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$root" -Dbuildtype=release -Dtests=false -Dbench=true >/dev/null
  fi
  ninja -C "$build" "$@" >/dev/null
}

bench_npm_ci() {
  stamp="$bench/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$bench/package-lock.json" -nt "$stamp" ]; then
    (cd "$bench" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}
