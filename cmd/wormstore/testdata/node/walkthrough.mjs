// @aws-sdk/client-s3 against wormstore: a current SDK that sends CRC32
// checksums by default (trailers on streaming bodies). Reads the endpoint
// and credentials from the environment; exits non-zero on any deviation.
import {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand,
  PutObjectRetentionCommand, PutObjectLegalHoldCommand, DeleteObjectCommand,
  DeleteObjectsCommand, ListObjectVersionsCommand,
} from "@aws-sdk/client-s3";
import { Readable } from "node:stream";

const s3 = new S3Client({
  endpoint: process.env.AWS_ENDPOINT_URL,
  region: process.env.AWS_DEFAULT_REGION,
  forcePathStyle: true,
});
const Bucket = process.env.BUCKET || "node-sdk";
const fail = (msg) => { console.error("FAIL: " + msg); process.exit(1); };
async function expectCode(code, p) {
  try { await p; } catch (e) {
    if (e.name === code || e.Code === code) return;
    fail(`expected ${code}, got ${e.name}: ${e.message}`);
  }
  fail(`expected ${code}, got success`);
}

await s3.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }));
const body = "x".repeat(100000);
const put = await s3.send(new PutObjectCommand({ Bucket, Key: "a.txt", Body: body }));
if (!put.VersionId) fail("no version id");
// A stream of unknown length goes out aws-chunked with a trailing checksum.
const streamed = await s3.send(new PutObjectCommand({
  Bucket, Key: "stream.bin", Body: Readable.from([Buffer.alloc(70000, 1), Buffer.alloc(30000, 2)]),
  ContentLength: 100000,
}));
if (!streamed.VersionId) fail("no version id for streamed put");
const got = await s3.send(new GetObjectCommand({ Bucket, Key: "a.txt", ChecksumMode: "ENABLED" }));
if ((await got.Body.transformToString()) !== body) fail("round trip differs");
const until = new Date(Date.now() + 3 * 24 * 3600 * 1000);
await s3.send(new PutObjectRetentionCommand({ Bucket, Key: "a.txt", VersionId: put.VersionId,
  Retention: { Mode: "COMPLIANCE", RetainUntilDate: until } }));
await s3.send(new PutObjectLegalHoldCommand({ Bucket, Key: "a.txt", VersionId: put.VersionId,
  LegalHold: { Status: "ON" } }));
await expectCode("AccessDenied", s3.send(new DeleteObjectCommand({ Bucket, Key: "a.txt", VersionId: put.VersionId })));
const multi = await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: [
  { Key: "a.txt", VersionId: put.VersionId }, { Key: "stream.bin" } ] } }));
if (!multi.Errors || multi.Errors.length !== 1 || multi.Errors[0].Code !== "AccessDenied") {
  fail("DeleteObjects: want one AccessDenied error, got " + JSON.stringify(multi.Errors));
}
const vs = await s3.send(new ListObjectVersionsCommand({ Bucket }));
if (!vs.Versions.some((v) => v.VersionId === put.VersionId)) fail("locked version missing");
console.log("node sdk walkthrough OK");
