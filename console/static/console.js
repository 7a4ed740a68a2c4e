// wormstore console: confirmation prompts and uploads with a progress bar.
// Large files go up as a multipart upload in parts of data-part-size bytes
// (at least 5 MiB, as S3 requires), small files in one request.
"use strict";

document.addEventListener("submit", (ev) => {
  const f = ev.target;
  if (f.dataset.confirm && !window.confirm(f.dataset.confirm)) ev.preventDefault();
});

function send(method, url, csrf, body, contentType, onProgress) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open(method, url);
    x.setRequestHeader("X-CSRF-Token", csrf);
    x.setRequestHeader("Accept", "application/json");
    if (contentType) x.setRequestHeader("Content-Type", contentType);
    if (onProgress) x.upload.onprogress = (e) => onProgress(e.loaded);
    x.onload = () => {
      let j = {};
      try { j = JSON.parse(x.responseText || "{}"); } catch (e) { j = {}; }
      if (x.status >= 200 && x.status < 300) resolve(j);
      else reject(new Error(j.error || ("The server answered " + x.status + ".")));
    };
    x.onerror = () => reject(new Error("The connection to the server failed."));
    x.send(body);
  });
}

async function upload(form) {
  const file = form.querySelector("#upload-file").files[0];
  if (!file) return;
  const base = "/buckets/" + encodeURIComponent(form.dataset.bucket);
  const csrf = form.dataset.csrf;
  const key = form.dataset.prefix + file.name;
  const partSize = Math.max(5 << 20, parseInt(form.dataset.partSize, 10) || (8 << 20));
  const bar = form.querySelector("#upload-bar");
  const status = form.querySelector("#upload-status");
  const box = form.querySelector("#upload-progress");
  const button = form.querySelector("button[type=submit]");
  box.hidden = false;
  button.disabled = true;
  status.textContent = "";
  const show = (done) => { bar.value = Math.floor(100 * done / Math.max(file.size, 1)); };
  const q = "?key=" + encodeURIComponent(key);
  let res;
  try {
    if (file.size <= partSize) {
      res = await send("POST", base + "/upload" + q, csrf, file, file.type || "application/octet-stream", show);
    } else {
      const mpu = await send("POST", base + "/multipart" + q + "&type=" + encodeURIComponent(file.type || ""), csrf, null);
      const parts = [];
      let done = 0;
      try {
        for (let n = 1, off = 0; off < file.size; n++, off += partSize) {
          const blob = file.slice(off, Math.min(off + partSize, file.size));
          status.textContent = "Part " + n + " of " + Math.ceil(file.size / partSize);
          const p = await send("POST", base + "/multipart/part" + q + "&uploadId=" + encodeURIComponent(mpu.uploadId) + "&part=" + n,
            csrf, blob, "application/octet-stream", (l) => show(done + l));
          done += blob.size;
          parts.push({ number: n, etag: p.etag });
        }
        res = await send("POST", base + "/multipart/complete", csrf,
          JSON.stringify({ key: key, uploadId: mpu.uploadId, parts: parts }), "application/json");
      } catch (e) {
        send("POST", base + "/multipart/abort" + q + "&uploadId=" + encodeURIComponent(mpu.uploadId), csrf, null).catch(() => {});
        throw e;
      }
    }
    bar.value = 100;
    status.textContent = "Uploaded.";
    window.location.assign(res.details);
  } catch (e) {
    status.textContent = "Upload failed: " + e.message;
    status.className = "error";
    button.disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const f = document.getElementById("upload-form");
  if (f) f.addEventListener("submit", (ev) => { ev.preventDefault(); upload(f); });
});
