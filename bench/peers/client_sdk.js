// The AWS SDK for JavaScript v3 in the client benchmark (bench/run_client.sh):
// DynamoDB GetItemCommand against the local nginx, static credentials, a
// keep-alive http.Agent (maxSockets = --inflight) in a NodeHttpHandler, and
// --inflight commands in flight (each answer starts the next). Prints one JSON
// line like bench_client_uvaws: requests/s, CPU µs per request (from
// process.cpuUsage() around the run) and peak RSS (getrusage's maxRSS, with
// process.memoryUsage().rss sampled every 100 ms as a check), and the
// connections its agent opened (over https, its TLS handshakes).
//
// An https URL gets a keep-alive https.Agent instead (HTTP/1.1, as the SDK's
// NodeHttpHandler speaks); the bench's throwaway CA is trusted through
// NODE_EXTRA_CA_CERTS, set by the run script.
//
//   node client_sdk.js --url http[s]://127.0.0.1:PORT [--requests N] [--inflight N] [--name NAME]
'use strict';
const http = require('http');
const https = require('https');
const { DynamoDBClient, GetItemCommand } = require('@aws-sdk/client-dynamodb');
const { NodeHttpHandler } = require('@smithy/node-http-handler');

const args = { url: null, requests: 100000, inflight: 64, name: 'sdk_js_v3' };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in args) || i + 1 >= process.argv.length) {
    console.error('usage: client_sdk.js --url URL [--requests N] [--inflight N] [--name NAME]');
    process.exit(2);
  }
  args[k] = typeof args[k] === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}

const tls = args.url.startsWith('https:');
const agent = new (tls ? https : http).Agent({ keepAlive: true, maxSockets: args.inflight });
let connections = 0;
const createConnection = agent.createConnection.bind(agent);
agent.createConnection = (...a) => {
  connections++;
  return createConnection(...a);
};
const client = new DynamoDBClient({
  region: 'us-east-1',
  endpoint: args.url,
  credentials: {
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  },
  requestHandler: new NodeHttpHandler(tls ? { httpsAgent: agent } : { httpAgent: agent }),
});
// The input bench_client.h sends: serialized, it is the same 89 bytes.
const input = { TableName: 'users', Key: { id: { S: 'user-000042' } },
                ProjectionExpression: 'id,visits' };

let started = 0, ok = 0, failed = 0, peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100);

function one() {
  started++;
  return client.send(new GetItemCommand(input)).then(
    (out) => {
      if (out.Item && out.Item.id && out.Item.id.S === 'user-000042') ok++;
      else if (failed++ < 5) console.error('unexpected answer', JSON.stringify(out));
    },
    (err) => {
      if (failed++ < 5) console.error('request failed:', err.name, err.message);
    });
}

async function lane() {
  while (started < args.requests) await one();
}

async function main() {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const lanes = [];
  for (let i = 0; i < Math.min(args.inflight, args.requests); i++) lanes.push(lane());
  await Promise.all(lanes);
  const cpu = process.cpuUsage(c0);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const maxRssKb = Math.max(process.resourceUsage().maxRSS, Math.round(peakRss / 1024));
  const n = ok + failed;
  console.log(JSON.stringify({
    name: args.name, requests: args.requests, inflight: args.inflight, ok, failed,
    seconds: +wall.toFixed(4), rps: +(n / wall).toFixed(1),
    cpu_us_per_req: +((cpu.user + cpu.system) / n).toFixed(3),
    user_us_per_req: +(cpu.user / n).toFixed(3), sys_us_per_req: +(cpu.system / n).toFixed(3),
    maxrss_kb: maxRssKb, sampled_peak_rss_kb: Math.round(peakRss / 1024), connections,
  }));
  client.destroy();
  agent.destroy();
  process.exitCode = failed ? 1 : 0;
}
main();
