// Downloads the browser starts are handed to Ferry through its native-messaging
// host ("org.ferry.host", installed by `ferry browser install`). The browser's
// copy is paused while Ferry is asked, canceled once Ferry has it, and resumed if
// Ferry cannot take it: nothing is ever lost.
"use strict";

if (typeof importScripts === "function") {
  importScripts("settings.js"); // Chromium's service worker; Firefox loads it first.
}

const HOST = "org.ferry.host";
// Addresses a click with Alt held asked to leave to the browser, until when.
const keep = new Map();
const KEEP_FOR_MS = 10000;

chrome.runtime.onMessage.addListener((message) => {
  if (message && message.type === "keep" && typeof message.url === "string") {
    keep.set(message.url, Date.now() + KEEP_FOR_MS);
  }
});

chrome.runtime.onInstalled.addListener(() => {
  chrome.contextMenus.create({
    id: "ferry-link",
    title: chrome.i18n.getMessage("menu_download_link"),
    contexts: ["link"],
  });
  chrome.contextMenus.create({
    id: "ferry-all",
    title: chrome.i18n.getMessage("menu_download_all"),
    contexts: ["page", "selection"],
  });
});

chrome.contextMenus.onClicked.addListener(async (info, tab) => {
  if (info.menuItemId === "ferry-link" && info.linkUrl) {
    const settings = settingsNow || (await ferrySettings());
    await handOver({
      url: info.linkUrl,
      referrer: info.pageUrl || (tab && tab.url) || "",
      ask: settings.askFirst,
    });
  } else if (info.menuItemId === "ferry-all" && tab) {
    await downloadAllLinks(tab.id, info.frameId || 0, Boolean(info.selectionText));
  }
});

// The page's links (or the selection's) listed in Ferry's window, to pick from;
// each with the cookies the browser would send to it.
async function downloadAllLinks(tabId, frameId, selectionOnly) {
  let found;
  try {
    found = await chrome.tabs.sendMessage(tabId, { type: "links", selectionOnly }, { frameId });
  } catch (error) {
    console.warn("Ferry cannot read this page's links:", error);
    return null;
  }
  if (!found || found.links.length === 0) return null;
  const links = await Promise.all(
    found.links.map(async (url) => ({ url, cookies: await cookiesFor(url) })),
  );
  const message = { type: "links", links, referrer: found.page, user_agent: navigator.userAgent };
  try {
    return await chrome.runtime.sendNativeMessage(HOST, message);
  } catch (error) {
    console.warn("Ferry is not reachable:", error);
    return null;
  }
}

function kept(url) {
  const until = keep.get(url);
  if (until === undefined) return false;
  keep.delete(url);
  return until >= Date.now();
}

// The file's name: the browser's choice when it has made it, else the address's
// last segment (Chromium often decides the name after telling us).
function nameOf(item) {
  const chosen = (item.filename || "").split(/[\\/]/).pop();
  if (chosen) return chosen;
  try {
    return decodeURIComponent(new URL(item.finalUrl || item.url).pathname.split("/").pop());
  } catch (_) {
    return "";
  }
}

// Firefox tells no size when a download starts: the response's Content-Length,
// seen as its headers arrive (just before), stands in for it. Chromium knows the
// size at once and does not ask for this permission.
const sizesSeen = new Map();
const SIZE_KEPT_MS = 60000;
if (chrome.webRequest && chrome.webRequest.onHeadersReceived) {
  chrome.webRequest.onHeadersReceived.addListener(
    (details) => {
      if (details.statusCode !== 200) return;
      const header = (details.responseHeaders || []).find(
        (h) => h.name.toLowerCase() === "content-length",
      );
      const size = header ? Number(header.value) : NaN;
      if (!(size >= 0)) return;
      sizesSeen.set(details.url, { size, at: Date.now() });
      if (sizesSeen.size > 500) sizesSeen.delete(sizesSeen.keys().next().value);
    },
    { urls: ["<all_urls>"] },
    ["responseHeaders"],
  );
}

// The download's size in bytes, 0 when unknown.
function sizeOf(item) {
  if (item.totalBytes > 0) return item.totalBytes;
  if (item.fileSize > 0) return item.fileSize;
  for (const url of [item.finalUrl, item.url]) {
    const seen = url && sizesSeen.get(url);
    if (seen && Date.now() - seen.at < SIZE_KEPT_MS) return seen.size;
  }
  return 0;
}

function extensionOf(item) {
  const name = nameOf(item);
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
}

// Too small to be worth handing over (unknown sizes are not).
function tooSmall(size, settings) {
  return size > 0 && size < settings.minSizeKiB * 1024;
}

// The size once the response's headers are in: Firefox creates the download
// first and tells the headers a moment later (a second at most is waited for).
async function sizeSoon(item) {
  let size = sizeOf(item);
  for (let waited = 0; size === 0 && chrome.webRequest && waited < 1000; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    size = sizeOf(item);
  }
  return size;
}

// Whether Ferry should take this download, by the user's settings (the size
// aside when it is not known yet).
function wanted(item, settings) {
  if (!settings.enabled) return false;
  if (!/^(https?|ftps?):/i.test(item.url)) return false;
  if (kept(item.url) || kept(item.finalUrl)) return false;
  if (tooSmall(sizeOf(item), settings)) return false;
  const type = extensionOf(item);
  const take = ferryTypeList(settings.takeTypes);
  if (take.length > 0 && !take.includes(type)) return false;
  return !ferryTypeList(settings.leaveTypes).includes(type);
}

async function cookiesFor(url) {
  const found = new Map();
  const add = (cookies) => cookies.forEach((c) => found.set(`${c.name}\u0000${c.domain}\u0000${c.path}`, c));
  add(await chrome.cookies.getAll({ url }));
  try {
    // Partitioned (CHIPS) cookies too, where the browser gives them.
    add(await chrome.cookies.getAll({ url, partitionKey: {} }));
  } catch (_) {
    // Not supported here.
  }
  return [...found.values()].map((c) => ({ name: c.name, value: c.value }));
}

// Ask Ferry to take a download; its answer, or null when Ferry is not reachable.
// The name and size let Ferry match a download of its own that waits for a new
// address (an expired link downloaded again). `ask`: Ferry asks the user first
// (its answer may then be "declined": the browser keeps the download).
async function handOver({ url, referrer, filename, size, ask }) {
  const message = {
    type: "download",
    url,
    referrer: referrer || "",
    user_agent: navigator.userAgent,
    cookies: await cookiesFor(url),
    filename: filename || "",
    size: size > 0 ? size : 0,
    ask: Boolean(ask),
  };
  try {
    return await chrome.runtime.sendNativeMessage(HOST, message);
  } catch (error) {
    console.warn("Ferry is not reachable:", error);
    return null;
  }
}

// Read once and kept up to date, so a new download is paused without waiting
// for storage (a fast download could finish meanwhile).
let settingsNow = null;
ferrySettings().then((s) => (settingsNow = s));
chrome.storage.onChanged.addListener(() => ferrySettings().then((s) => (settingsNow = s)));

// Ferry has the download: the browser's copy goes, whatever state it reached.
async function dropBrowserCopy(id) {
  await chrome.downloads.cancel(id).catch(() => {});
  const [now] = await chrome.downloads.search({ id });
  if (now && now.state === "complete") {
    await chrome.downloads.removeFile(id).catch(() => {});
  }
  await chrome.downloads.erase({ id }).catch(() => {});
}

chrome.downloads.onCreated.addListener(async (item) => {
  const settings = settingsNow || (await ferrySettings());
  if (!wanted(item, settings)) return;
  try {
    await chrome.downloads.pause(item.id);
  } catch (_) {
    return; // Already finished: the browser keeps it.
  }
  const size = await sizeSoon(item);
  if (tooSmall(size, settings)) {
    await chrome.downloads.resume(item.id).catch(() => {});
    return;
  }
  const answer = await handOver({
    url: item.url,
    referrer: item.referrer,
    filename: nameOf(item),
    size,
    ask: settings.askFirst,
  });
  if (answer && answer.type === "added") {
    await dropBrowserCopy(item.id);
  } else {
    if (answer && answer.message) console.warn("Ferry refused the download:", answer.message);
    await chrome.downloads.resume(item.id).catch(() => {});
  }
});
