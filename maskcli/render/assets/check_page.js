"use strict";
// maskcli check --format html: a listed row expands into its tokens, attention mask and labels,
// drawn on demand from the embedded report (findings[].rows[].sample, report schema 2).
(function () {
  const report = maskcli.data("report");
  const IGNORE = -100;
  const el = maskcli.el;

  function tokensView(sample) {
    const n = sample.input_ids.length;
    const omitted = sample.omitted;
    const positions = [];
    for (let k = 0; k < n; k++) positions.push(omitted && k >= omitted.start ? k + omitted.stop - omitted.start : k);
    const labels = sample.labels;
    let real = 0, trained = 0;
    sample.attention_mask.forEach((m, k) => {
      if (m) real++;
      if (labels && labels[k] !== null && labels[k] !== IGNORE) trained++;
    });
    const counts = `${sample.length} tokens` + (omitted ? ` (positions ${omitted.start}-${omitted.stop - 1} not kept)` : "")
      + ` · shown: ${real} attended` + (labels ? `, ${trained} trained` : ", no labels");
    const chips = el("div", {class: "tokens"});
    for (let k = 0; k < n; k++) {
      if (omitted && k === omitted.start) {
        chips.append(el("div", {class: "tok gap", title: `positions ${omitted.start}-${omitted.stop - 1} are not in the report`},
          el("span", {class: "pos"}, "\u2026"), el("span", {class: "text"}, `${omitted.stop - omitted.start} tokens`)));
      }
      const mask = sample.attention_mask[k];
      const label = labels ? labels[k] : undefined;
      const text = sample.tokens ? sample.tokens[k] : null;
      const classes = ["tok"];
      if (mask === 0) classes.push("pad");
      if (label !== undefined && label !== null) classes.push(label === IGNORE ? "ignored" : "trained");
      const pid = sample.position_ids ? sample.position_ids[k] : undefined;
      const title = `position ${positions[k]}: ${text === null ? "(not in the vocabulary)" : JSON.stringify(text)}`
        + ` · id ${sample.input_ids[k]} · attention_mask ${mask === null ? "missing" : mask}`
        + (label !== undefined ? ` · label ${label === null ? "missing" : label}` : "")
        + (pid !== undefined ? ` · position_id ${pid === null ? "missing" : pid}` : "");
      chips.append(el("div", {class: classes.join(" "), title: title, "data-position": positions[k]},
        el("span", {class: "pos"}, positions[k]),
        el("span", {class: "text"}, maskcli.visible(text)),
        el("span", {class: "id"}, sample.input_ids[k]),
        el("span", {class: "mask"}, mask === null ? "\u2013" : mask),
        labels ? el("span", {class: "label"}, label === null ? "\u2013" : label === IGNORE ? "-100" : label) : null,
        sample.position_ids ? el("span", {class: "pid"}, pid === null ? "\u2013" : pid) : null));
    }
    const legend = el("div", {class: "legend muted"},
      "each token: position · text · id · attention_mask" + (labels ? " · label" : "")
      + (sample.position_ids ? " · position_id" : "") + "; ",
      el("span", {class: "tok pad swatch"}, "masked"), " ",
      labels ? [el("span", {class: "tok trained swatch"}, "trained"), " ", el("span", {class: "tok ignored swatch"}, "-100"),
        " ", el("span", {class: "tok pad trained swatch"}, "masked but trained")] : null);
    return el("div", {class: "sample"}, el("p", {class: "muted"}, counts), legend, chips);
  }

  function toggle(button) {
    const row = button.closest("tr");
    const open = button.getAttribute("aria-expanded") === "true";
    let detail = row.nextElementSibling;
    if (!detail || !detail.classList.contains("tokens-row")) {
      const sample = report.findings[+button.dataset.finding].rows[+button.dataset.row].sample;
      detail = el("tr", {class: "tokens-row"}, el("td", {colspan: 3}, tokensView(sample)));
      row.after(detail);
    }
    detail.hidden = open;
    button.setAttribute("aria-expanded", String(!open));
    button.textContent = open ? "tokens" : "hide";
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.expand");
    if (button) toggle(button);
  });
})();
