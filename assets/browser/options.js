"use strict";

for (const element of document.querySelectorAll("[data-i18n]")) {
  element.textContent = chrome.i18n.getMessage(element.dataset.i18n);
}

(async () => {
  const settings = await ferrySettings();
  for (const key of Object.keys(FERRY_DEFAULTS)) {
    const input = document.getElementById(key);
    if (input.type === "checkbox") input.checked = settings[key];
    else input.value = settings[key];
    input.addEventListener("change", () => {
      let value = input.value;
      if (input.type === "checkbox") value = input.checked;
      else if (input.type === "number") value = Math.max(0, Number(input.value) || 0);
      chrome.storage.local.set({ [key]: value });
    });
  }
})();
