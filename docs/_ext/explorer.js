/* The explorer of docs/explorer.md.
 *
 * Hand-written on purpose: a page-specific widget of three small SVG charts and four controls
 * needs no library, and the book must work with no network. The numbers come from
 * window.bpttExplorerResults (results.js, written at build time by the Sphinx extension
 * docs/_ext/explorer.py from bptt_book.figures.explorer.explorer_data); nothing is computed
 * here except looking values up and summing the shares beyond K.
 */
(function () {
  "use strict";

  const SVG = "http://www.w3.org/2000/svg";
  const W = 340, H = 210, M = {left: 52, right: 12, top: 12, bottom: 34};

  function el(tag, attrs, parent, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function html(tag, attrs, parent, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  // Three significant digits; plain notation between 1e-3 and 1e4, else 1.23e-7.
  function fmt(v) {
    if (v === null || v === undefined) return "overflow";
    if (v === 0) return "0";
    const a = Math.abs(v);
    if (a >= 1e-3 && a < 1e4) return String(Number(v.toPrecision(3)));
    return v.toExponential(2).replace("e+", "e");
  }

  // A chart with a linear x axis (integers 0 .. n-1) and a logarithmic y axis.
  function Chart(svg, n, xlabel, ylabel) {
    const lo = {x: M.left, y: H - M.bottom}, hi = {x: W - M.right, y: M.top};
    const chart = {
      x: (i) => lo.x + (hi.x - lo.x) * i / Math.max(n - 1, 1),
      y: null,
      clear() { while (svg.firstChild) svg.removeChild(svg.firstChild); },
      axes(values) {
        const finite = values.filter((v) => v !== null && v > 0 && isFinite(v));
        let top = Math.ceil(Math.log10(Math.max(...finite)));
        let bottom = Math.floor(Math.log10(Math.min(...finite)));
        if (top === bottom) top += 1;
        const span = top - bottom;
        chart.y = (v) => lo.y - (lo.y - hi.y) * (Math.log10(v) - bottom) / span;
        const step = Math.max(1, Math.ceil(span / 5));
        for (let e = bottom; e <= top; e += step) {
          const y = chart.y(10 ** e);
          el("line", {x1: lo.x, x2: hi.x, y1: y, y2: y, class: "grid"}, svg);
          el("text", {x: lo.x - 4, y: y + 3, "text-anchor": "end"}, svg, "1e" + e);
        }
        for (let i = 0; i < n; i += 5) {
          el("text", {x: chart.x(i), y: lo.y + 13, "text-anchor": "middle"}, svg, String(i));
        }
        el("line", {x1: lo.x, x2: hi.x, y1: lo.y, y2: lo.y, class: "axis"}, svg);
        el("line", {x1: lo.x, x2: lo.x, y1: lo.y, y2: hi.y, class: "axis"}, svg);
        el("text", {x: (lo.x + hi.x) / 2, y: H - 4, "text-anchor": "middle"}, svg, xlabel);
        el("text", {x: 11, y: (lo.y + hi.y) / 2, "text-anchor": "middle",
                    transform: `rotate(-90 11 ${(lo.y + hi.y) / 2})`}, svg, ylabel);
      },
      line(values, cls) {
        const points = values.map((v, i) => (v !== null && v > 0 ? [chart.x(i), chart.y(v)] : null))
          .filter((p) => p !== null).map((p) => p.join(",")).join(" ");
        return el("polyline", {points, class: cls}, svg);
      },
      bars(values, dropped, current) {
        const width = 0.8 * (hi.x - lo.x) / n;
        values.forEach((v, i) => {
          if (v === null || v <= 0) return;
          const y = chart.y(v);
          el("rect", {x: chart.x(i) - width / 2, y, width, height: Math.max(lo.y - y, 0),
                      class: "bar" + (dropped(i) ? " dropped" : ""),
                      "data-distance": i}, svg);
        });
        chart.cursor(current);
      },
      cursor(i) {
        el("line", {x1: chart.x(i), x2: chart.x(i), y1: lo.y, y2: hi.y, class: "cursor"}, svg);
      },
      marker(i, v) {
        if (v !== null && v > 0) el("circle", {cx: chart.x(i), cy: chart.y(v), r: 4.5, class: "marker"}, svg);
      },
    };
    return chart;
  }

  function build(root, data) {
    const T = data.length;
    const state = {
      scale: data.defaults.scale_index, activation: data.activations[0],
      distance: data.defaults.distance, K: data.defaults.K,
    };
    root.textContent = "";
    const controls = html("div", {class: "explorer-controls"}, root);

    function slider(id, label, max, value) {
      const box = html("label", {for: id}, controls);
      html("span", {}, box, label + " ");
      const out = html("output", {id: id + "-value", for: id}, box);
      const input = html("input", {type: "range", id, min: 0, max, step: 1, value}, box);
      return {input, out};
    }

    const scale = slider("explorer-scale", "γ·σmax(W) =", data.scales.length - 1, state.scale);
    const fieldset = html("fieldset", {}, controls);
    html("legend", {}, fieldset, "activation f");
    const radios = data.activations.map((name) => {
      const label = html("label", {}, fieldset);
      const input = html("input", {type: "radio", name: "explorer-activation",
                                   id: "explorer-activation-" + name, value: name}, label);
      input.checked = name === state.activation;
      label.appendChild(document.createTextNode(" " + name));
      return input;
    });
    const distance = slider("explorer-distance", "distance d = t − k =", T - 1, state.distance);
    const K = slider("explorer-K", "truncation K =", T - 1, state.K);

    html("p", {class: "explorer-setting"}, root,
         `The ${data.model} model (D = ${data.word_dim}, H = ${data.hidden_dim}) on one random ` +
         `sentence of ${T} words (seed ${data.seed}); W = σmax(W)·Q with an orthogonal Q, so ` +
         "that every singular value of W is σmax(W); t is the last step. The numbers were " +
         "computed in Python when the book was built.");

    const panels = html("div", {class: "explorer-panels"}, root);
    function panel(id, caption) {
      const figure = html("figure", {id}, panels);
      const svg = el("svg", {viewBox: `0 0 ${W} ${H}`, role: "img"}, figure);
      const cap = html("figcaption", {}, figure);
      cap.innerHTML = caption;
      return svg;
    }
    // The captions' symbols are TeX for the book's MathJax (class "math", as Sphinx marks
    // inline math); the numbers beside them are plain text that render() replaces.
    const m = (tex) => `<span class="math notranslate nohighlight">\\(${tex}\\)</span>`;
    const normSvg = panel("explorer-norms",
      `Distance ${m("d")} = <span class="value" id="explorer-distance-shown"></span>: ` +
      `${m("\\lVert \\partial s_t / \\partial s_k \\rVert_2")} = ` +
      '<span class="value" id="explorer-norm"></span>, ' +
      `bound ${m("(\\gamma\\,\\sigma_{\\max})^d")} = ` +
      '<span class="value" id="explorer-bound"></span> (dashed).');
    const shareSvg = panel("explorer-shares",
      `Share of ${m("\\partial E_t / \\partial W")} from distance ${m("d")}: ` +
      '<span class="value" id="explorer-share"></span>; ' +
      `from beyond ${m("K")}, which truncation drops (grey): ` +
      '<span class="value" id="explorer-share-beyond"></span>.');
    const truncSvg = panel("explorer-truncation-panel",
      `Relative error of ${m("\\partial E / \\partial W")} (whole sentence) with ` +
      `truncate = ${m("K")}: <span class="value" id="explorer-truncation"></span>.`);
    // MathJax typesets the page once it has started; captions made after that are typeset here.
    if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
      window.MathJax.startup.promise.then(() => window.MathJax.typesetPromise([panels]));
    }

    const norms = Chart(normSvg, T, "distance t − k", "‖∂s_t/∂s_k‖₂");
    const shares = Chart(shareSvg, T, "distance t − k", "share of ∂E_t/∂W");
    const errors = Chart(truncSvg, T, "truncation K", "relative error");
    const byId = (id) => document.getElementById(id);

    function render() {
      const cell = data.results[state.activation][state.scale];
      const s = data.scales[state.scale];
      const gamma = data.gamma_value[state.activation];
      scale.out.textContent = `${fmt(s)}  (γ = ${data.gamma[state.activation]}, σmax(W) = ${fmt(s / gamma)})`;
      distance.out.textContent = String(state.distance);
      K.out.textContent = String(state.K);

      norms.clear();
      norms.axes(cell.norm.concat(cell.bound));
      norms.line(cell.bound, "bound");
      norms.line(cell.norm, "measured");
      norms.cursor(state.distance);
      norms.marker(state.distance, cell.norm[state.distance]);

      shares.clear();
      shares.axes(cell.share);
      shares.bars(cell.share, (i) => i > state.K, state.distance);
      shares.marker(state.distance, cell.share[state.distance]);

      errors.clear();
      errors.axes(cell.truncation_error);
      errors.line(cell.truncation_error, "measured");
      errors.cursor(state.K);
      errors.marker(state.K, cell.truncation_error[state.K]);

      const beyond = cell.share.slice(state.K + 1).reduce((a, b) => a + (b || 0), 0);
      byId("explorer-distance-shown").textContent = String(state.distance);
      byId("explorer-norm").textContent = fmt(cell.norm[state.distance]);
      byId("explorer-bound").textContent = fmt(cell.bound[state.distance]);
      byId("explorer-share").textContent = fmt(cell.share[state.distance]);
      byId("explorer-share-beyond").textContent = fmt(beyond);
      byId("explorer-truncation").textContent = fmt(cell.truncation_error[state.K]);
      root.dataset.ready = "true";
    }

    scale.input.addEventListener("input", () => { state.scale = Number(scale.input.value); render(); });
    distance.input.addEventListener("input", () => { state.distance = Number(distance.input.value); render(); });
    K.input.addEventListener("input", () => { state.K = Number(K.input.value); render(); });
    radios.forEach((input) => input.addEventListener("change", () => {
      if (input.checked) { state.activation = input.value; render(); }
    }));
    render();
  }

  function start() {
    const root = document.getElementById("bptt-explorer");
    if (root && window.bpttExplorerResults) build(root, window.bpttExplorerResults);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
