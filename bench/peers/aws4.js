'use strict';
// npm aws4 on the benchmark requests. aws4 takes its time from an X-Amz-Date
// header when there is one, and caches derived keys itself (as uvaws does).
// It mutates the request it signs, so every operation gets a fresh one, as
// every real call does.
const aws4 = require('aws4');
const { measure, parseArgs, report, req, amzDate } = require('./timing');

const creds = { accessKeyId: req.access_key, secretAccessKey: req.secret_key };
const date = amzDate(req.timestamp);
const g = req.getitem;
const p = req.presign;

function signGetItem() {
  const r = aws4.sign({
    host: g.headers.host, method: g.method, path: g.path, service: g.service,
    region: req.region, headers: { ...g.headers, 'X-Amz-Date': date }, body: g.body,
  }, creds);
  return /Signature=([0-9a-f]{64})/.exec(r.headers.Authorization)[1];
}

function presign() {
  const r = aws4.sign({
    host: p.host, method: p.method, service: p.service, region: req.region, signQuery: true,
    path: `${p.path}?X-Amz-Date=${date}&X-Amz-Expires=${p.expires}`,
  }, creds);
  return /X-Amz-Signature=([0-9a-f]{64})/.exec(r.path)[1];
}

(async () => {
  const args = parseArgs(process.argv);
  report(args, 'aws4', 'aws4', await measure(signGetItem, args.runs), signGetItem());
  report(args, 'aws4_presign_s3', 'aws4 presign S3', await measure(presign, args.runs), presign());
})().catch((e) => { console.error(e); process.exit(1); });
