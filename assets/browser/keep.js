// A link clicked with Alt held stays with the browser: tell the background script
// before the download starts.
"use strict";

document.addEventListener(
  "click",
  (event) => {
    if (!event.altKey) return;
    const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
    if (link) chrome.runtime.sendMessage({ type: "keep", url: link.href });
  },
  true,
);
