"use strict";
// maskcli show --html: the batches' sequences, one at a time. Each mask arrives as run-length encoded
// reason codes per query row ([code, count, ...], maskcli/show/reasons.py); the grid is painted on a
// canvas, and hovering a cell names the query and key tokens and why the key is blocked.
(function () {
  const data = maskcli.data("show");
  const el = maskcli.el;
  const COLORS = ["#3d7bd9", "#8e98a5", "#e0a43a", "#e3e8ef", "#b89ad6", "#ee8f8f"];  // by reason code
  const TILE_COLORS = ["#e3e8ef", "#f0c36a", "#3d7bd9"];  // masks/blocks.py EMPTY, PARTIAL, FULL
  const TILE_NAMES = ["empty (a kernel skips it)", "partial (masked)", "full (no mask needed)"];
  const batchSelect = document.getElementById("batch");
  const sequenceSelect = document.getElementById("sequence");
  const view = document.getElementById("view");
  const hover = document.getElementById("hover");

  function place(event) {  // the hover box beside the pointer, inside the window
    hover.hidden = false;
    const below = event.clientY + 14, right = event.clientX + 14;
    hover.style.left = `${Math.max(4, Math.min(right, window.innerWidth - hover.offsetWidth - 8))}px`;
    hover.style.top = `${below + hover.offsetHeight > window.innerHeight - 4 ? event.clientY - hover.offsetHeight - 10 : below}px`;
  }

  function codesOf(runs, k0, k1) {  // one query row's codes over keys [k0, k1)
    const out = new Uint8Array(k1 - k0);
    let at = 0;
    for (let i = 0; i < runs.length && at < k1; i += 2) {
      const end = at + runs[i + 1];
      const lo = Math.max(at, k0), hi = Math.min(end, k1);
      if (lo < hi) out.fill(runs[i], lo - k0, hi - k0);
      at = end;
    }
    return out;
  }

  function codeAt(runs, k) {
    let at = 0;
    for (let i = 0; i < runs.length; i += 2) {
      at += runs[i + 1];
      if (k < at) return runs[i];
    }
    return null;
  }

  function token(seq, k) {
    const text = seq.tokens[k];
    const parts = [`${k} ${text === null ? "(not in the vocabulary)" : "\u201c" + maskcli.visible(text) + "\u201d"}`];
    if (text !== null && seq.texts[k].trim() !== text.replace(/[\u0120\u2581]/g, " ").trim()) parts.push(`reads \u201c${maskcli.visible(seq.texts[k])}\u201d`);
    if (seq.position_ids) parts.push(`position id ${seq.position_ids[k]}`);
    if (seq.documents) parts.push(`document ${seq.documents[k]}`);
    if (!seq.attention_mask[k]) parts.push("padding");
    return parts.join(" \u00b7 ");
  }

  function tokenTable(seq) {
    const head = ["index", "token", "text", "id", "special / pad", "label", "trained", "position id", "document"];
    if (seq.roles) head.push("role");
    const body = el("tbody");
    seq.input_ids.forEach((id, k) => {
      const pad = !seq.attention_mask[k];
      const cells = [k, maskcli.visible(seq.tokens[k]), maskcli.visible(seq.texts[k]), id,
        [seq.special[k] ? "special" : "", pad ? "pad" : ""].filter(Boolean).join(", ") || "\u2013",
        seq.labels ? seq.labels[k] : "\u2013", seq.trained ? (seq.trained[k] ? "yes" : "no") : "\u2013",
        seq.position_ids ? seq.position_ids[k] + (seq.positions_derived ? "*" : "") : "\u2013",
        seq.documents ? seq.documents[k] : "\u2013"];
      if (seq.roles) cells.push(seq.roles[k] === null ? "\u2013" : seq.roles[k]);
      const classes = [pad ? "pad" : "", seq.trained && seq.trained[k] ? "trained" : ""].filter(Boolean).join(" ");
      body.append(el("tr", {class: classes || null, "data-index": k},
        cells.map((c, i) => el("td", {class: i === 1 || i === 2 ? "mono text" : i === 0 || i === 3 ? "num" : null}, c))));
    });
    return el("details", {class: "token-table", open: seq.input_ids.length <= 64},
      el("summary", {}, `tokens (${seq.input_ids.length})`),
      el("table", {class: "tokens-table"}, el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))), body));
  }

  function legend(mask) {  // the codes that occur in the mask
    const seen = new Set();
    for (const runs of mask.runs) for (let i = 0; i < runs.length; i += 2) seen.add(runs[i]);
    return el("div", {class: "legend muted"}, ...[...seen].sort().map((code) => [
      el("span", {class: "swatch", style: `background:${COLORS[code]}`}), ` ${code ? mask.reasons[code] : "attends"} `]));
  }

  function label(seq, k) {  // a short axis label
    const text = maskcli.visible(seq.tokens[k]);
    return text.length > 8 ? text.slice(0, 7) + "\u2026" : text;
  }

  function maskView(seq, mask) {
    const queryOf = (row) => mask.query_start + row;
    const full = {q0: 0, q1: Math.min(mask.runs.length, data.window), k0: 0, k1: Math.min(mask.keys, data.window)};
    const state = Object.assign({}, full);
    const grid = el("canvas", {class: "grid", "data-mask": mask.name});
    const note = el("p", {class: "window-note muted"});
    const back = el("button", {type: "button", class: "reset", hidden: true}, "back to the first tokens");

    function paint() {
      const n = state.q1 - state.q0, m = state.k1 - state.k0;
      const cell = Math.max(2, Math.min(18, Math.floor(768 / Math.max(n, m, 1))));
      const labelled = cell >= 12;  // token labels along both axes once a cell is big enough to point at
      const font = "11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";
      let left = 0, top = 0;
      if (labelled) {
        const measure = grid.getContext("2d");
        measure.font = font;
        const widest = (from, to, queries) => {
          let w = 0;
          for (let i = from; i < to; i++) {
            const k = queries ? queryOf(i) : i;
            w = Math.max(w, measure.measureText(`${k} ${mask.cross && queries ? "" : label(seq, k)}`).width);
          }
          return Math.ceil(w) + 6;
        };
        left = widest(state.q0, state.q1, true);
        top = widest(state.k0, state.k1, false);
      }
      grid.width = left + m * cell;
      grid.height = top + n * cell;
      Object.assign(grid.dataset, {cell, q0: state.q0, k0: state.k0, left, top});
      const ctx = grid.getContext("2d");
      if (labelled) {
        ctx.font = font;
        ctx.fillStyle = getComputedStyle(document.body).color;
        ctx.textBaseline = "middle";
        ctx.textAlign = "right";
        for (let r = 0; r < n; r++) {
          const q = queryOf(state.q0 + r);
          ctx.fillText(`${mask.cross ? "" : label(seq, q) + " "}${q}`, left - 4, top + (r + .5) * cell);
        }
        ctx.save();
        ctx.rotate(-Math.PI / 2);
        ctx.textAlign = "left";
        for (let c = 0; c < m; c++) ctx.fillText(`${state.k0 + c} ${label(seq, state.k0 + c)}`, -top + 4, left + (c + .5) * cell);
        ctx.restore();
      }
      ctx.translate(left, top);
      for (let r = 0; r < n; r++) {
        const codes = codesOf(mask.runs[state.q0 + r], state.k0, state.k1);
        let start = 0;
        for (let c = 1; c <= m; c++) {
          if (c === m || codes[c] !== codes[start]) {
            ctx.fillStyle = COLORS[codes[start]];
            ctx.fillRect(start * cell, r * cell, (c - start) * cell, cell);
            start = c;
          }
        }
      }
      if (cell >= 6) {  // cell borders once they are big enough to see
        ctx.strokeStyle = "rgba(255,255,255,.6)";
        ctx.beginPath();
        for (let c = 1; c < m; c++) { ctx.moveTo(c * cell + .5, 0); ctx.lineTo(c * cell + .5, n * cell); }
        for (let r = 1; r < n; r++) { ctx.moveTo(0, r * cell + .5); ctx.lineTo(m * cell, r * cell + .5); }
        ctx.stroke();
      }
      const first = queryOf(state.q0), last = queryOf(state.q1 - 1);
      let text = `queries ${first}\u2013${last} \u00d7 keys ${state.k0}\u2013${state.k1 - 1}`
        + ` of ${mask.queries} \u00d7 ${mask.keys}`;
      if (!mask.complete) text += `; only the cells of the first ${data.window} tokens are in the page (too many runs)`;
      else if (mask.keys > data.window && state.q0 === 0 && state.k0 === 0 && state.k1 === full.k1)
        text += `: the first ${data.window} tokens; a tile of the block view shows its own`;
      note.textContent = text;
      back.hidden = state.q0 === full.q0 && state.q1 === full.q1 && state.k0 === full.k0 && state.k1 === full.k1;
    }

    grid.addEventListener("mousemove", (event) => {
      const rect = grid.getBoundingClientRect(), cell = +grid.dataset.cell;
      const c = Math.floor((event.clientX - rect.left - grid.dataset.left) / cell);
      const r = Math.floor((event.clientY - rect.top - grid.dataset.top) / cell);
      if (c < 0 || r < 0 || c >= state.k1 - state.k0 || r >= state.q1 - state.q0) { hover.hidden = true; return; }
      const row = state.q0 + r, key = state.k0 + c, query = queryOf(row);
      const code = codeAt(mask.runs[row], key);
      const queryText = mask.cross ? `${query} (a decoder query)` : token(seq, query);
      hover.replaceChildren(
        el("div", {class: "hover-mask"}, mask.title),
        el("div", {}, el("b", {}, "query "), queryText),
        el("div", {}, el("b", {}, "key "), token(seq, key)),
        el("div", {class: code ? "blocked" : "attends", "data-code": code},
          code ? `blocked: ${mask.reasons[code]}` : "attends"));
      place(event);
    });
    grid.addEventListener("mouseleave", () => { hover.hidden = true; });
    back.addEventListener("click", () => { Object.assign(state, full); paint(); });

    const parts = [el("h3", {}, mask.title), el("p", {class: "muted"}, el("code", {}, mask.predicate), ` \u2014 ${mask.reading}`)];
    if (mask.blocks) parts.push(blockView(mask, state, full, paint, note));
    parts.push(note, back, el("div", {class: "grid-scroll"}, grid), legend(mask));
    if (mask.empty_rows) parts.push(el("p", {class: "warning-note"}, mask.empty_rows));
    paint();
    return el("section", {class: "mask", "data-mask": mask.name}, parts);
  }

  function blockView(mask, state, full, paint, note) {
    const b = mask.blocks, n = b.states.length, size = b.block_size;
    const tile = Math.max(4, Math.floor(384 / n));
    const canvas = el("canvas", {class: "blocks", width: n * tile, height: n * tile, "data-tile": tile});
    const ctx = canvas.getContext("2d");
    b.states.forEach((row, i) => row.forEach((s, j) => {
      ctx.fillStyle = TILE_COLORS[s];
      ctx.fillRect(j * tile, i * tile, tile - 1, tile - 1);
    }));
    const at = (event) => {
      const rect = canvas.getBoundingClientRect();
      const i = Math.floor((event.clientY - rect.top) / tile), j = Math.floor((event.clientX - rect.left) / tile);
      return i >= 0 && j >= 0 && i < n && j < n ? [i, j] : null;
    };
    canvas.addEventListener("mousemove", (event) => {
      const ij = at(event);
      if (!ij) { hover.hidden = true; return; }
      const [i, j] = ij;
      hover.replaceChildren(el("div", {class: "hover-mask"}, mask.title),
        el("div", {}, `tile queries ${i * size}\u2013${Math.min((i + 1) * size, mask.keys) - 1} \u00d7 keys `
          + `${j * size}\u2013${Math.min((j + 1) * size, mask.keys) - 1}: ${TILE_NAMES[b.states[i][j]]}`),
        el("div", {class: "muted"}, "click: its tokens"));
      place(event);
    });
    canvas.addEventListener("mouseleave", () => { hover.hidden = true; });
    canvas.addEventListener("click", (event) => {
      const ij = at(event);
      if (!ij) return;
      const [i, j] = ij;
      const limit = mask.complete ? mask.keys : data.window;
      if (i * size >= limit || j * size >= limit) {
        note.textContent = `the cells of this tile are not in the page: only those of the first ${data.window} tokens are`;
        return;
      }
      Object.assign(state, {q0: i * size, q1: Math.min((i + 1) * size, limit), k0: j * size,
                            k1: Math.min((j + 1) * size, limit)});
      paint();
    });
    return el("div", {class: "block-view"},
      el("p", {class: "muted"}, `block view: ${n}\u00d7${n} tiles of ${size} tokens: ${b.full} full, ${b.partial} partial, `
        + `${b.empty} empty \u00b7 sparsity ${(100 * b.sparsity).toFixed(1)}% \u00b7 click a tile for its tokens`),
      canvas,
      el("div", {class: "legend muted"}, ...TILE_NAMES.map((name, s) => [
        el("span", {class: "swatch", style: `background:${TILE_COLORS[s]}`}), ` ${name} `])));
  }

  function render() {
    const batch = data.batches[+batchSelect.value];
    const seq = batch.sequences[+sequenceSelect.value];
    hover.hidden = true;
    if (!seq) { view.replaceChildren(el("p", {class: "muted"}, "no sequence in this batch")); return; }
    const real = seq.attention_mask.filter(Boolean).length;
    const facts = [seq.source, seq.shape, `${seq.input_ids.length} tokens`, `${real} real`,
                   `${seq.input_ids.length - real} pad`].concat(seq.truncated ? ["truncated"] : [],
                                                                batch.settings ? [batch.settings] : []);
    const parts = [el("h2", {id: "sequence-title"}, `${batch.title} \u00b7 ${seq.title}`),
                   el("p", {class: "muted"}, facts.join(" \u00b7 "))];
    if (seq.lints.length)
      parts.push(el("ul", {class: "lints"}, seq.lints.map((l) => el("li", {class: "warning-note"}, el("code", {}, l.code), ` ${l.message}`))));
    if (seq.notes.length) parts.push(el("ul", {class: "notes muted"}, seq.notes.map((n) => el("li", {}, n))));
    parts.push(tokenTable(seq));
    if (!seq.masks.length) parts.push(el("p", {class: "muted"}, "(no tokens)"));
    parts.push(el("div", {class: "masks"}, seq.masks.map((mask) => maskView(seq, mask))));
    view.replaceChildren(...parts);
  }

  function fillSequences() {
    const batch = data.batches[+batchSelect.value];
    sequenceSelect.replaceChildren(...batch.sequences.map((s, i) => el("option", {value: i}, s.title)));
  }

  batchSelect.replaceChildren(...data.batches.map((b, i) => el("option", {value: i}, b.title)));
  batchSelect.addEventListener("change", () => { fillSequences(); render(); });
  sequenceSelect.addEventListener("change", render);
  if (data.batches.length) { fillSequences(); render(); }
  else view.replaceChildren(el("p", {class: "muted"}, "no rows were read"));
})();
