#!/usr/bin/env bash
# The Object Lock walkthrough S3 providers publish for their users, run with
# the aws CLI against a wormstore server. Needs AWS_ENDPOINT_URL,
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION and AWS (the
# aws binary to use). Exits non-zero on the first deviation.
set -euo pipefail
aws() { "$AWS" --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_error CODE cmd...: the command must fail with that S3 error code.
expect_error() {
  local code=$1; shift
  local out
  if out=$("$@" 2>&1); then fail "expected $code from: $*"; fi
  grep -q "($code)" <<<"$out" || fail "expected $code from: $* — got: $out"
}
B=${BUCKET:-walkthrough}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
echo "retain me" >"$work/evidence.txt"

aws s3api create-bucket --bucket "$B" --object-lock-enabled-for-bucket >/dev/null
aws s3api get-bucket-versioning --bucket "$B" | grep -q '"Enabled"' || fail "lock bucket is not versioned"
aws s3api put-object-lock-configuration --bucket "$B" \
  --object-lock-configuration '{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"COMPLIANCE","Days":30}}}'
aws s3api get-object-lock-configuration --bucket "$B" | grep -q COMPLIANCE || fail "lock configuration not stored"

vid=$(aws s3api put-object --bucket "$B" --key evidence.txt --body "$work/evidence.txt" --query VersionId --output text)
[ -n "$vid" ] && [ "$vid" != None ] || fail "no version id"
aws s3api get-object-retention --bucket "$B" --key evidence.txt --version-id "$vid" | grep -q COMPLIANCE \
  || fail "default retention not applied"
until=$(date -u -d '+400 days' +%Y-%m-%dT%H:%M:%SZ)
aws s3api put-object-retention --bucket "$B" --key evidence.txt --version-id "$vid" \
  --retention "{\"Mode\":\"COMPLIANCE\",\"RetainUntilDate\":\"$until\"}"
soon=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)
expect_error AccessDenied aws s3api put-object-retention --bucket "$B" --key evidence.txt --version-id "$vid" \
  --retention "{\"Mode\":\"COMPLIANCE\",\"RetainUntilDate\":\"$soon\"}"
expect_error AccessDenied aws s3api put-object-retention --bucket "$B" --key evidence.txt --version-id "$vid" \
  --bypass-governance-retention --retention "{\"Mode\":\"GOVERNANCE\",\"RetainUntilDate\":\"$until\"}"
aws s3api put-object-legal-hold --bucket "$B" --key evidence.txt --version-id "$vid" --legal-hold Status=ON
aws s3api get-object-legal-hold --bucket "$B" --key evidence.txt --version-id "$vid" | grep -q '"ON"' || fail "legal hold not ON"
aws s3api list-object-versions --bucket "$B" | grep -q "$vid" || fail "version not listed"

expect_error AccessDenied aws s3api delete-object --bucket "$B" --key evidence.txt --version-id "$vid"
expect_error AccessDenied aws s3api delete-object --bucket "$B" --key evidence.txt --version-id "$vid" --bypass-governance-retention

aws s3 rm "s3://$B/evidence.txt" >/dev/null
versions=$(aws s3api list-object-versions --bucket "$B" --output json)
grep -q '"DeleteMarkers"' <<<"$versions" || fail "aws s3 rm did not add a delete marker"
grep -q "$vid" <<<"$versions" || fail "the locked version disappeared"
aws s3api get-object --bucket "$B" --key evidence.txt --version-id "$vid" "$work/back.txt" >/dev/null
cmp -s "$work/evidence.txt" "$work/back.txt" || fail "locked version altered"
expect_error NoSuchKey aws s3api get-object --bucket "$B" --key evidence.txt "$work/none.txt"
expect_error BucketNotEmpty aws s3api delete-bucket --bucket "$B"

# Multipart (aws s3 cp switches at 8 MiB) and ranged download.
head -c $((20 * 1024 * 1024)) /dev/urandom >"$work/big.bin"
aws s3 cp "$work/big.bin" "s3://$B/big.bin" >/dev/null
aws s3 cp "s3://$B/big.bin" "$work/big.back" >/dev/null
cmp -s "$work/big.bin" "$work/big.back" || fail "multipart round trip differs"
aws s3 ls "s3://$B/" | grep -q big.bin || fail "listing misses big.bin"
echo "walkthrough OK ($AWS)"
