// The extension's settings, shared by the background script and the options page.
// Sizes are in KiB; file types are extensions without the dot, comma-separated.
"use strict";

const FERRY_DEFAULTS = Object.freeze({
  enabled: true,
  // Small files finish faster in the browser than a hand-over takes.
  minSizeKiB: 100,
  // Only these types (empty: every type).
  takeTypes: "",
  // Never these types.
  leaveTypes: "",
  // Ferry asks (folder, name, start now or later) before taking each download,
  // even when it is set to add them without asking.
  askFirst: false,
});

async function ferrySettings() {
  const stored = await chrome.storage.local.get(Object.keys(FERRY_DEFAULTS));
  return { ...FERRY_DEFAULTS, ...stored };
}

function ferryTypeList(text) {
  return text
    .split(",")
    .map((t) => t.trim().toLowerCase().replace(/^\./, ""))
    .filter((t) => t.length > 0);
}
