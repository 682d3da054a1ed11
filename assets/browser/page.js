// What the extension does inside pages: a link clicked with Alt held stays with
// the browser (the background script hears of it before the download starts),
// and "Download all links with Ferry" asks for the links of the page or of the
// selection in it.
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

// The addresses of the links in the selection (every link the selection touches),
// or in the whole page when nothing is selected; http(s) and ftp(s) only, each once.
function ferryLinks(selectionOnly) {
  let anchors = [...document.querySelectorAll("a[href]")];
  const selection = window.getSelection();
  if (selectionOnly && selection && selection.rangeCount > 0 && !selection.isCollapsed) {
    anchors = anchors.filter((a) => {
      for (let i = 0; i < selection.rangeCount; i++) {
        if (selection.getRangeAt(i).intersectsNode(a)) return true;
      }
      return false;
    });
  }
  const seen = new Set();
  const links = [];
  for (const a of anchors) {
    const url = a.href.split("#")[0];
    if (!/^(https?|ftps?):/i.test(url) || seen.has(url)) continue;
    seen.add(url);
    links.push(url);
  }
  return links;
}

chrome.runtime.onMessage.addListener((message, _sender, reply) => {
  if (message && message.type === "links") {
    reply({ links: ferryLinks(Boolean(message.selectionOnly)), page: location.href });
  }
});
