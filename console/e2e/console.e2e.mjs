// Browser walk-through of the wormstore console, driven by
// cmd/wormstore/console_browser_test.go (which starts the server and sets
// the environment): headless Debian chromium through playwright-core.
//
//   CONSOLE_URL, ACCESS_KEY, SECRET_KEY  the server under test (root)
//   USER_ACCESS_KEY, USER_SECRET_KEY      a restricted user: may browse bucket
//                                         evidence and set legal holds ON, not OFF
//   CHROMIUM                              browser binary (/usr/bin/chromium)
//   USER_DATA_DIR                         a fresh profile directory
//   SCREENSHOT_DIR                        where page screenshots go
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const env = (k) => { const v = process.env[k]; if (!v) throw new Error(k + " is not set"); return v; };
const base = env("CONSOLE_URL");
const shots = env("SCREENSHOT_DIR");
mkdirSync(shots, { recursive: true });

function expect(cond, what) {
  if (!cond) throw new Error("expectation failed: " + what);
  console.log("ok - " + what);
}

const ctx = await chromium.launchPersistentContext(env("USER_DATA_DIR"), {
  executablePath: env("CHROMIUM"),
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1280, height: 860 },
  acceptDownloads: true,
});
ctx.setDefaultTimeout(20000);
const page = ctx.pages()[0] || await ctx.newPage();
page.on("dialog", (d) => d.accept());
const errors = [];
page.on("pageerror", (e) => errors.push(e.message));
// Refused actions answer 401/403 on purpose; only script failures count.
page.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text()); });
const shot = (name) => page.screenshot({ path: join(shots, name + ".png"), fullPage: true });
const body = () => page.locator("body").innerText();

try {
  // Sign in: a wrong secret gets a clear message, the right one gets in.
  await page.goto(base + "/");
  expect(page.url().includes("/signin"), "unauthenticated visit lands on sign-in");
  await page.getByLabel("Access key").fill(env("ACCESS_KEY"));
  await page.getByLabel("Secret key").fill("not-the-secret");
  await page.getByRole("button", { name: "Sign in" }).click();
  expect((await body()).includes("Wrong access key or secret key."), "wrong secret is refused in words");
  await shot("01-signin");
  await page.getByLabel("Access key").fill(env("ACCESS_KEY"));
  await page.getByLabel("Secret key").fill(env("SECRET_KEY"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(base + "/");
  expect((await body()).includes("Storage used on disk"), "overview after sign-in");

  // Create a bucket with Object Lock and a default COMPLIANCE retention.
  await page.getByRole("link", { name: "Buckets" }).click();
  await page.getByLabel("Bucket name").fill("evidence");
  await page.getByLabel("Object Lock enabled").check();
  await page.getByLabel("Mode").selectOption("COMPLIANCE");
  await page.getByLabel("Period").fill("30");
  await page.getByLabel("Unit").selectOption("days");
  await shot("02-create-bucket");
  await page.getByRole("button", { name: "Create bucket" }).click();
  await page.waitForURL(/\/buckets\/evidence$/);
  expect((await body()).includes("with Object Lock (versioning is on for good)"), "lock bucket created");
  expect((await body()).includes("Default retention: COMPLIANCE for 30 days"), "default retention shown");

  // Upload a small file (one request) and a large one (multipart, 2 parts).
  await page.setInputFiles("#upload-file", { name: "big.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(12 << 20, 7) });
  await page.getByRole("button", { name: "Upload" }).click();
  await page.waitForURL(/\/object\?key=big\.bin/);
  expect((await page.locator("dl.props").first().innerText()).includes("12582912 bytes"), "multipart upload stored all bytes");
  expect((await page.locator("dl.props").first().innerText()).includes("-2"), "multipart ETag has 2 parts");
  await page.goto(base + "/buckets/evidence");
  await page.setInputFiles("#upload-file", { name: "report.txt", mimeType: "text/plain", buffer: Buffer.from("quarterly report\n") });
  await page.getByRole("button", { name: "Upload" }).click();
  await page.waitForURL(/\/object\?key=report\.txt/);

  // The details show the retention from the bucket default.
  const ret = await page.locator("#retention").innerText();
  expect(ret.includes("COMPLIANCE"), "details show COMPLIANCE retention: " + ret);
  expect(!(await page.locator("select#mode").count()), "COMPLIANCE form offers no mode change");
  expect(!(await page.locator("input[name=bypass]").count()), "COMPLIANCE form offers no bypass");
  const versionId = (await page.locator("#version-id").innerText()).trim();
  await shot("03-object-details");

  // Legal hold ON.
  await page.locator("#hold-switch").click();
  await page.waitForLoadState();
  expect((await page.locator("#legal-hold").innerText()).includes("ON"), "legal hold is ON");
  await shot("04-legal-hold-on");

  // Deleting that version is refused, with the reason.
  await page.getByRole("link", { name: "Show versions" }).click();
  await page.getByRole("button", { name: "Delete version " + versionId + " of report.txt" }).click();
  await page.waitForLoadState();
  const refusal = await body();
  expect(refusal.includes("Refused by Object Lock") && refusal.includes("legal hold is ON"), "version delete refused with the reason");
  await shot("05-delete-refused");

  // Deleting the key adds a delete marker, and says so.
  await page.goto(base + "/buckets/evidence");
  await page.getByRole("button", { name: "Delete (adds a delete marker) report.txt" }).click();
  await page.waitForLoadState();
  expect((await body()).includes("Added a delete marker"), "delete adds a delete marker");
  await shot("06-delete-marker");

  // Both in the versions view, with lock state.
  await page.goto(base + "/buckets/evidence/versions?prefix=report.txt");
  const rows = await page.locator("#versions tbody tr").allInnerTexts();
  expect(rows.length === 2, "two entries for report.txt: " + rows.length);
  expect(rows[0].includes("Delete marker") && rows[0].includes("latest"), "delete marker is latest");
  expect(rows[1].includes(versionId) && rows[1].includes("COMPLIANCE retention until") && rows[1].includes("legal hold is ON"), "version keeps its lock state");
  await shot("07-versions");

  // Manage page, buckets list and overview (with the chart).
  await page.goto(base + "/buckets/evidence/manage");
  expect((await page.locator("#default-retention-now").innerText()).includes("COMPLIANCE for 30 days"), "manage shows default retention");
  await shot("08-manage");
  await page.goto(base + "/buckets");
  expect((await body()).includes("evidence"), "bucket listed");
  await shot("09-buckets");
  await page.goto(base + "/");
  expect(await page.locator("svg.chart rect").count() >= 1, "retention chart drawn");
  await shot("10-overview");

  // Phone width, keyboard: the skip link is the first tab stop.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(base + "/buckets/evidence/versions");
  await page.keyboard.press("Tab");
  expect(await page.evaluate(() => document.activeElement.textContent.trim()) === "Skip to content", "skip link is first tab stop");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await shot("11-versions-phone");
  expect(overflow <= 1, "no horizontal page overflow at phone width (" + overflow + ")");

  // Sign out ends the session.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/signin/);
  await page.goto(base + "/buckets");
  expect(page.url().includes("/signin"), "signed out");

  // A restricted user signs in and sees only what its policies allow:
  // turning the legal hold OFF is refused in words, and nothing changes.
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.getByLabel("Access key").fill(env("USER_ACCESS_KEY"));
  await page.getByLabel("Secret key").fill(env("USER_SECRET_KEY"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(base + "/buckets"); // where the signed-out visit asked to go
  expect((await body()).includes("You are not allowed to list the buckets"), "bucket list refused without s3:ListAllMyBuckets");
  await page.goto(base + "/");
  expect(!(await body()).includes("Storage used on disk"), "restricted user does not see server-wide figures");
  await page.goto(base + "/buckets/evidence/object?key=report.txt&version=" + encodeURIComponent(versionId));
  expect((await page.locator("#legal-hold").innerText()).includes("ON"), "restricted user sees the hold ON");
  await page.locator("#hold-switch").click();
  await page.waitForLoadState();
  const forbidden = await body();
  expect(forbidden.includes("You are not allowed to turn the legal hold OFF"), "legal hold OFF refused for the restricted user");
  await shot("12-restricted-hold-off-refused");
  await page.goto(base + "/buckets/evidence/object?key=report.txt&version=" + encodeURIComponent(versionId));
  expect((await page.locator("#legal-hold").innerText()).includes("ON"), "legal hold still ON after the refusal");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/signin/);

  expect(errors.length === 0, "no script errors: " + errors.join("; "));
  console.log("console e2e OK");
} catch (e) {
  await shot("failure").catch(() => {});
  console.error(e);
  console.error("page text:\n" + (await body().catch(() => "")));
  process.exitCode = 1;
} finally {
  await ctx.close();
}
