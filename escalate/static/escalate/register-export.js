// Progressive enhancement for the register's CSV link (data-module="app-csv-export"):
// without this file, or without streams in the browser, the link is a plain download.
// With it, the file is read as it streams, a labelled <progress> counts its rows against
// the total the response announces (its X-Row-Count header, counted when the export starts,
// not on every view of the page), a polite
// status line announces the progress now and then, and the file is saved at the end.

const ANNOUNCE_EVERY_MS = 2000;
const NEWLINE = 10;

function rowsIn(bytes) {
  let count = 0;
  for (const byte of bytes) {
    if (byte === NEWLINE) count += 1;
  }
  return count;
}

function filenameOf(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const match = header.match(/filename="([^"]+)"/);
  return match ? match[1] : fallback;
}

function said(rows, total) {
  const done = rows.toLocaleString("en-GB");
  return total === null
    ? `${done} rows downloaded so far.`
    : `${done} of ${total.toLocaleString("en-GB")} rows downloaded.`;
}

function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.download = filename;
  anchor.hidden = true;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function attach(container) {
  const link = container.querySelector("a[download]");
  const panel = container.querySelector(".app-export__progress");
  if (!link || !panel) return;
  const bar = panel.querySelector("progress");
  const status = panel.querySelector("[data-export-status]");
  let busy = false;

  link.addEventListener("click", async (event) => {
    if (busy) {
      event.preventDefault();
      return;
    }
    if (!window.fetch || !window.ReadableStream || !window.Blob) return;
    event.preventDefault();
    busy = true;
    panel.hidden = false;
    bar.removeAttribute("value");
    status.textContent = "Starting the download.";
    try {
      const response = await fetch(link.href, { credentials: "same-origin" });
      if (!response.ok || !response.body) {
        throw new Error(`The server answered ${response.status}.`);
      }
      const announcedRows = response.headers.get("X-Row-Count");
      const total = announcedRows === null ? null : Number(announcedRows);
      if (total !== null) bar.max = Math.max(total, 1);
      const reader = response.body.getReader();
      const chunks = [];
      let lines = 0;
      let announced = Date.now();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        lines += rowsIn(value);
        const rows = Math.max(lines - 1, 0); // the header is not a row
        if (total !== null) bar.value = Math.min(rows, total);
        if (Date.now() - announced >= ANNOUNCE_EVERY_MS) {
          status.textContent = said(rows, total);
          announced = Date.now();
        }
      }
      const rows = Math.max(lines - 1, 0);
      if (total !== null) bar.value = total;
      else bar.max = bar.value = 1;
      save(
        new Blob(chunks, { type: "text/csv;charset=utf-8" }),
        filenameOf(response, "escalation-register.csv"),
      );
      status.textContent = `Download complete: ${rows.toLocaleString("en-GB")} rows.`;
    } catch (error) {
      status.textContent = `The download did not finish. ${error.message} Try the link again.`;
    } finally {
      busy = false;
    }
  });
}

document.querySelectorAll('[data-module="app-csv-export"]').forEach(attach);
