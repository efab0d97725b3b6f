'use strict';
// The measuring loop every Node peer shares, the method of bench_sigv4.c:
// a warm-up of WARMUP_NS (which lets the JIT settle and tells the rate),
// then RUNS runs of N operations, N chosen so a run lasts ~TARGET_RUN_NS;
// the figures are the median and minimum ns/op of the runs.
const WARMUP_NS = 300e6;
const TARGET_RUN_NS = 100e6;

async function measure(op, runs) {
  let done = 0;
  const w0 = process.hrtime.bigint();
  let dt = 0;
  while (dt < WARMUP_NS) {
    for (let i = 0; i < 16; i++) await op();
    done += 16;
    dt = Number(process.hrtime.bigint() - w0);
  }
  const n = Math.max(1, Math.ceil((TARGET_RUN_NS * done) / dt));
  const ns = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await op();
    ns.push(Number(process.hrtime.bigint() - t0) / n);
  }
  ns.sort((a, b) => a - b);
  return { median_ns: ns[runs >> 1], min_ns: ns[0], iters: n, runs };
}

// "--runs N" and "--json" as bench_sigv4 takes them.
function parseArgs(argv) {
  const a = { runs: 7, json: false };
  for (let i = 2; i < argv.length; i++) {
    if (argv[i] === '--runs') a.runs = parseInt(argv[++i], 10);
    else if (argv[i] === '--json') a.json = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return a;
}

function report(args, name, label, r, signature) {
  const line = { bench: 'sigv4', name, label, median_ns: +r.median_ns.toFixed(1),
    min_ns: +r.min_ns.toFixed(1), iters: r.iters, runs: r.runs, signature };
  if (args.json) console.log(JSON.stringify(line));
  else console.log(`${label.padEnd(28)} ${r.median_ns.toFixed(1).padStart(12)} ` +
    `${r.min_ns.toFixed(1).padStart(12)} ${String(r.iters).padStart(10)}  ${signature}`);
}

const req = require('./sigv4_request.json');

// 20231114T221320Z from the Unix time, as every signer writes it.
function amzDate(ts) {
  return new Date(ts * 1000).toISOString().replace(/[-:]|\.\d{3}/g, '');
}

module.exports = { measure, parseArgs, report, req, amzDate };
