#!/usr/bin/env bash
# The issue's four-step scenario with the aws CLI: a write-and-lock-only
# user cannot release a legal hold or destroy a held version; root can.
# Needs AWS (the aws binary), AWS_ENDPOINT_URL, ROOT_AK/ROOT_SK, UP_AK/UP_SK.
set -euo pipefail
as() { local ak=$1 sk=$2; shift 2; AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk "$AWS" --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }
root() { as "$ROOT_AK" "$ROOT_SK" "$@"; }
up() { as "$UP_AK" "$UP_SK" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_error() {
  local code=$1; shift
  local out
  if out=$("$@" 2>&1); then fail "expected $code from: $*"; fi
  grep -q "($code)" <<<"$out" || fail "expected $code from: $* — got: $out"
}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
echo "evidence" >"$work/doc.txt"; : >"$work/empty"

# 3. uploader uploads and puts the legal hold ON: allowed.
vid=$(up s3api put-object --bucket archive --key doc.txt --body "$work/doc.txt" --query VersionId --output text)
up s3api put-object-legal-hold --bucket archive --key doc.txt --version-id "$vid" --legal-hold Status=ON
#    legal hold OFF: denied; deleting the version: denied.
expect_error AccessDenied up s3api put-object-legal-hold --bucket archive --key doc.txt --version-id "$vid" --legal-hold Status=OFF
expect_error AccessDenied up s3api delete-object --bucket archive --key doc.txt --version-id "$vid"
#    overwrite with a zero-byte object: allowed, the held version intact.
up s3api put-object --bucket archive --key doc.txt --body "$work/empty" >/dev/null
up s3api get-object --bucket archive --key doc.txt --version-id "$vid" "$work/back.txt" >/dev/null
cmp -s "$work/doc.txt" "$work/back.txt" || fail "held version altered"
#    aws s3 rm adds a delete marker; the history remains.
up s3 rm s3://archive/doc.txt >/dev/null
versions=$(up s3api list-object-versions --bucket archive --output json)
grep -q "$vid" <<<"$versions" || fail "held version missing from the history"
grep -q '"DeleteMarkers"' <<<"$versions" || fail "no delete marker"
up s3 ls s3://archive/ | grep -q doc.txt && fail "deleted key still listed"
# Outside its bucket the uploader has nothing.
expect_error AccessDenied up s3api create-bucket --bucket elsewhere

# 4. root turns the hold OFF and can then delete the version.
root s3api put-object-legal-hold --bucket archive --key doc.txt --version-id "$vid" --legal-hold Status=OFF
root s3api delete-object --bucket archive --key doc.txt --version-id "$vid" >/dev/null
root s3api list-object-versions --bucket archive --output json | grep -q "$vid" && fail "version still there after root deleted it"
echo "iam scenario OK ($AWS)"
