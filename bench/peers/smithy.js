'use strict';
// @smithy/signature-v4 as the AWS SDK for JavaScript v3 runs it in Node:
// SHA-256 from @smithy/hash-node (Node's crypto), requests as HttpRequest.
// applyChecksum is off so that it signs the headers the other signers sign
// (with it on, it adds and signs x-amz-content-sha256). sign() clones the
// request, so one request object serves every operation.
const { SignatureV4 } = require('@smithy/signature-v4');
const { Hash } = require('@smithy/hash-node');
const { HttpRequest } = require('@smithy/protocol-http');
const { measure, parseArgs, report, req } = require('./timing');

const credentials = { accessKeyId: req.access_key, secretAccessKey: req.secret_key };
const signingDate = new Date(req.timestamp * 1000);
const sha256 = Hash.bind(null, 'sha256');
const g = req.getitem;
const p = req.presign;

const ddb = new SignatureV4({ credentials, region: req.region, service: g.service, sha256,
  applyChecksum: false });
const getItem = new HttpRequest({ method: g.method, protocol: 'https:', hostname: g.headers.host,
  path: g.path, headers: { ...g.headers }, body: g.body });

// S3: no path re-encoding, UNSIGNED-PAYLOAD taken from the header, which is
// neither signed nor moved into the query (uvaws and botocore send neither).
const s3 = new SignatureV4({ credentials, region: req.region, service: p.service, sha256,
  uriEscapePath: false, applyChecksum: false });
const getObject = new HttpRequest({ method: p.method, protocol: 'https:', hostname: p.host,
  path: p.path, headers: { host: p.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
const hidden = new Set(['x-amz-content-sha256']);
const presignOpts = { signingDate, expiresIn: p.expires, unsignableHeaders: hidden,
  unhoistableHeaders: hidden };

async function signGetItem() {
  const r = await ddb.sign(getItem, { signingDate });
  return /Signature=([0-9a-f]{64})/.exec(r.headers.authorization)[1];
}

async function presign() {
  const r = await s3.presign(getObject, presignOpts);
  return r.query['X-Amz-Signature'];
}

(async () => {
  const args = parseArgs(process.argv);
  report(args, 'smithy', '@smithy/signature-v4', await measure(signGetItem, args.runs),
    await signGetItem());
  report(args, 'smithy_presign_s3', '@smithy/signature-v4 presign S3',
    await measure(presign, args.runs), await presign());
})().catch((e) => { console.error(e); process.exit(1); });
