"use strict";
// Shared helpers of maskcli's pages: read the embedded data, build elements as text (never HTML).
const maskcli = {
  data(id) {
    return JSON.parse(document.getElementById(id).textContent);
  },
  el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "title") node.title = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  },
  // A token's text as it reads: spaces, tabs and line breaks made visible.
  visible(text) {
    if (text === null || text === undefined) return "\u2205";
    if (text === "") return "\u00a0";
    return text.replace(/ /g, "\u2423").replace(/\n/g, "\u21b5").replace(/\t/g, "\u21e5").replace(/\r/g, "\u240d");
  },
};
