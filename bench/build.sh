# What every bench/run_*.sh does first, sourced:
#   bench_build TARGET...   the release build in build-bench/ (-Dbuildtype=release,
#                           kept apart from the development build), then the targets
#                           and the service models, which UVAWS_MODEL_DIR points at
#   bench_npm_ci            npm ci in bench/ when package-lock.json changed
#   bench_runs_args "$@"    --runs N and --no-peers (run_sigv4.sh, run_ops.sh):
#                           sets runs (7) and peers (1)
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

bench_runs_args() {
  runs=7
  peers=1
  while [ $# -gt 0 ]; do
    case $1 in
      --runs) runs=$2; shift 2 ;;
      --no-peers) peers=0; shift ;;
      *) echo "usage: $0 [--runs N] [--no-peers]" >&2; exit 2 ;;
    esac
  done
}
