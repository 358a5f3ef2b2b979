// flux2-trainer web UI: pages over the JSON API (/api/...), a job's live view over its event stream.
// Text from the server (names, captions, messages) is always set as text, never as HTML.
"use strict";

const view = document.getElementById("view");
let leavePage = () => {};

// ---------- helpers ----------
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "value") e.value = v;
    else if (k === "checked") e.checked = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

class ApiError extends Error {
  constructor(status, body) { super(body.error || ("HTTP " + status)); this.status = status; this.body = body; }
}

async function api(method, path, body, raw) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = raw ? body : JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  const text = await r.text();
  let data;
  try { data = text ? JSON.parse(text) : {}; } catch { data = { text }; }
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

function enc(s) { return encodeURIComponent(s); }
function encPath(p) { return p.split("/").map(encodeURIComponent).join("/"); }
function fmt(v, digits) { return v === null || v === undefined ? "–" : Number(v).toPrecision(digits || 4); }
function duration(s) {
  if (s === null || s === undefined) return "–";
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
  return (h ? h + "h " : "") + (h || m ? m + "m " : "") + sec + "s";
}
// learning rates are small: 1e-4 must not read as 0
function axisNumber(v) { return v === 0 ? "0" : Math.abs(v) < 0.01 ? v.toExponential(1) : String(+v.toPrecision(3)); }
function bytes(n) { return n < 1024 ? n + " B" : n < 1048576 ? (n / 1024).toFixed(1) + " KiB" : (n / 1048576).toFixed(1) + " MiB"; }
function badge(state) { return el("span", { class: "badge " + state, "data-state": state }, state); }
function messages(box, items) {
  box.replaceChildren(el("ul", { class: "plain" }, items.map(([kind, text]) => el("li", { class: kind }, text))));
}
function showError(box, e) { messages(box, [["error", e.message]]); }

function openLightbox(src, caption) {
  const lb = document.getElementById("lightbox");
  document.getElementById("lightbox-img").src = src;
  document.getElementById("lightbox-caption").textContent = caption || "";
  lb.hidden = false;
}
document.getElementById("lightbox").addEventListener("click", () => { document.getElementById("lightbox").hidden = true; });

// ---------- routing ----------
const routes = [
  [/^#\/envs$/, envsPage],
  [/^#\/env\/([^/]+)(?:\/(\w+))?$/, envPage],
  [/^#\/jobs$/, jobsPage],
  [/^#\/job\/([^/]+)$/, jobPage],
  [/^#\/system$/, systemPage],
];

function route() {
  leavePage();
  leavePage = () => {};
  const hash = location.hash || "#/envs";
  for (const [re, page] of routes) {
    const m = hash.match(re);
    if (m) {
      document.querySelectorAll("header nav a").forEach(a => a.classList.toggle("active", hash.startsWith("#/" + a.dataset.nav.replace(/s$/, ""))));
      view.replaceChildren();
      page(...m.slice(1).map(x => x && decodeURIComponent(x))).catch(e => view.append(el("p", { class: "messages" }, el("span", { class: "error" }, e.message))));
      return;
    }
  }
  location.hash = "#/envs";
}
window.addEventListener("hashchange", route);

// ---------- environments ----------
async function envsPage() {
  const { envs } = await api("GET", "/api/envs");
  const source = el("select", { id: "new-env-source" },
    el("option", { value: "" }, "the embedded example"),
    envs.map(e => el("option", { value: e.name }, "a copy of " + e.name)));
  const name = el("input", { type: "text", id: "new-env-name", placeholder: "name (letters, digits, - _ .)" });
  const msg = el("div", { class: "messages", id: "new-env-messages" });
  const create = el("button", { id: "new-env-create", onclick: async () => {
    try {
      const body = source.value ? { name: name.value, copy_of: source.value } : { name: name.value, example: true };
      const e = await api("POST", "/api/envs", body);
      location.hash = "#/env/" + enc(e.name);
    } catch (e) { showError(msg, e); }
  } }, "Create");
  view.append(
    el("h1", {}, "Environments"),
    el("div", { class: "panel" },
      envs.length === 0 ? el("p", { class: "muted" }, "No environment yet: config/config.json and config/<name>/config.json are environments. Create one below.") :
      el("table", { id: "env-list" },
        el("tr", {}, el("th", {}, "name"), el("th", {}, "config"), el("th", {}, "last job")),
        envs.map(e => el("tr", {},
          el("td", {}, el("a", { class: "env-link", "data-env": e.name, href: "#/env/" + enc(e.name) }, e.name)),
          el("td", { class: "muted" }, e.config),
          el("td", {}, e.job ? el("a", { href: "#/job/" + enc(e.job.id) }, badge(e.job.state), " ", e.job.id) : "–"))))),
    el("div", { class: "panel" }, el("h2", {}, "New environment"), el("div", { class: "row" }, name, source, create), msg));
}

const TABS = [["config", "config.json"], ["datasets", "Datasets"], ["backends", "multidatabackend.json"], ["prompts", "user_prompt_library.json"], ["train", "Train"]];
const TAB_FILES = { config: "config.json", backends: "multidatabackend.json", prompts: "user_prompt_library.json" };

async function envPage(name, tab) {
  tab = tab || "config";
  const env = await api("GET", "/api/envs/" + enc(name));
  view.append(
    el("h1", {}, "Environment ", name, " ", env.job ? el("a", { href: "#/job/" + enc(env.job.id) }, badge(env.job.state)) : ""),
    el("div", { class: "tabs" }, TABS.map(([k, label]) => el("a", { href: "#/env/" + enc(name) + "/" + k, class: k === tab ? "active" : "", "data-tab": k }, label))));
  const body = el("div", { class: "panel", id: "tab-" + tab });
  view.append(body);
  if (TAB_FILES[tab]) return fileTab(body, name, env, TAB_FILES[tab]);
  if (tab === "datasets") return datasetsTab(body, name);
  if (tab === "train") return trainTab(body, name, env);
}

// A JSON file edited as a form (or as text); saving sends it to the server, which validates it with the trainer's loader.
async function fileTab(body, name, env, file) {
  const path = env.files[file].path;
  if (!env.files[file].exists) {
    body.append(el("p", { class: "muted" }, path + " does not exist. config.json names it with " + (file === "multidatabackend.json" ? "data_backend_config" : "user_prompt_library") + "."));
    return;
  }
  const text = await (await fetch("/api/envs/" + enc(name) + "/files/" + file)).text();
  let value;
  try { value = JSON.parse(text); } catch { value = undefined; }
  const msg = el("div", { class: "messages", id: "config-messages" });
  const area = el("textarea", { id: "json-editor", rows: 28, spellcheck: "false" }, text);
  const form = el("div", { id: "form-editor" });
  let asJson = value === undefined;
  const toggle = el("button", { class: "secondary", id: "toggle-json", onclick: () => {
    try {
      if (asJson) { value = JSON.parse(area.value); renderForm(); }
      else { value = readForm(); area.value = JSON.stringify(value, null, 2); }
      asJson = !asJson;
      show();
    } catch (e) { showError(msg, new Error("not valid JSON: " + e.message)); }
  } }, "");
  const save = el("button", { id: "save-config", onclick: async () => {
    clearErrors(form);
    let content;
    try { content = asJson ? area.value : JSON.stringify(readForm(), null, 2); }
    catch (e) { showError(msg, e); return; }
    try {
      const r = await api("PUT", "/api/envs/" + enc(name) + "/files/" + file, content, true);
      messages(msg, [["ok", "saved " + r.saved]].concat(r.warnings.map(w => ["warning", w])));
      if (!asJson) { value = JSON.parse(content); renderForm(); }
    } catch (e) {
      const problems = (e.body && e.body.problems) || [];
      messages(msg, problems.length ? problems.map(p => ["error", p.text]) : [["error", e.message]]);
      markErrors(form, problems, path);
    }
  } }, "Save");
  function show() {
    area.hidden = !asJson;
    form.hidden = asJson;
    toggle.textContent = asJson ? "Edit as form" : "Edit as JSON";
  }
  function renderForm() { form.replaceChildren(jsonForm(value)); }
  function readForm() { return readJsonForm(form.firstChild); }
  if (value !== undefined) renderForm();
  show();
  body.append(el("p", { class: "muted" }, path, " — checked by the trainer's config loader before it is saved"), form, area,
    el("div", { class: "row", style: "margin-top:12px" }, save, toggle), msg);
}

// The form of a JSON value: an object is a list of keys, a list of objects a fieldset per element.
function jsonForm(value) {
  if (Array.isArray(value)) {
    const list = el("div", { class: "json-array" });
    value.forEach((item, i) => list.append(el("fieldset", { "data-index": i }, el("legend", {}, "[" + i + "]" + (item && item.id ? " " + item.id : "")), jsonForm(item))));
    return list;
  }
  if (value === null || typeof value !== "object") return el("div", { class: "json-scalar" }, valueInput(value));
  const grid = el("div", { class: "fields json-object" });
  for (const [k, v] of Object.entries(value)) addField(grid, k, v);
  const newKey = el("input", { type: "text", placeholder: "new key", class: "new-key" });
  const adder = el("div", { class: "row add-row", style: "grid-column: 1 / 4" }, newKey,
    el("button", { class: "secondary", onclick: () => {
      if (newKey.value) { addField(grid, newKey.value, "", adder); newKey.value = ""; }
    } }, "Add key"));
  grid.append(adder);
  return grid;
}

function addField(grid, key, v, before) {
  const input = valueInput(v);
  const label = el("label", { "data-key": key }, key);
  const remove = el("button", { class: "secondary remove", title: "remove " + key, onclick: () => { label.remove(); wrap.remove(); remove.remove(); err.remove(); } }, "×");
  const wrap = el("div", { class: "field", "data-key": key }, input);
  const err = el("div", { class: "field-error", "data-key": key, hidden: true });
  for (const n of [label, wrap, remove, err]) before ? grid.insertBefore(n, before) : grid.append(n);
}

function valueInput(v) {
  if (typeof v === "boolean") return el("input", { type: "checkbox", "data-type": "boolean", checked: v });
  if (typeof v === "number") return el("input", { type: "text", inputmode: "decimal", "data-type": "number", value: String(v) });
  if (typeof v === "string") return el("input", { type: "text", "data-type": "string", value: v });
  return el("textarea", { "data-type": "json", rows: 3 }, JSON.stringify(v, null, 2));
}

function readJsonForm(node) {
  if (node.classList.contains("json-array")) return [...node.children].map(fs => readJsonForm(fs.children[1]));
  if (node.classList.contains("json-scalar")) return readValue(node.firstChild, "");
  const out = {};
  for (const field of node.querySelectorAll(":scope > .field")) out[field.dataset.key] = readValue(field.firstChild, field.dataset.key);
  return out;
}

function readValue(input, key) {
  switch (input.dataset.type) {
    case "boolean": return input.checked;
    case "number": {
      // what was a number stays one when it reads as one; anything else goes to the loader as typed, which names the key
      const n = Number(input.value);
      return input.value.trim() !== "" && Number.isFinite(n) ? n : input.value;
    }
    case "string": return input.value;
    default:
      try { return JSON.parse(input.value); } catch { throw new Error(key + ": not valid JSON"); }
  }
}

function clearErrors(form) {
  form.querySelectorAll(".field.invalid").forEach(f => f.classList.remove("invalid"));
  form.querySelectorAll(".field-error").forEach(f => { f.hidden = true; f.textContent = ""; });
}

// Shows each problem of this file beside its key: "file [i id=x]" problems go to dataset i's fieldset.
function markErrors(form, problems, path) {
  for (const p of problems) {
    if (!p.file.includes(path.split("/").pop())) continue;
    const m = p.file.match(/\[(\d+)/);
    let scope = form;
    if (m) scope = form.querySelector('fieldset[data-index="' + m[1] + '"]') || form;
    const key = (p.key || "").split(".")[0];
    const field = scope.querySelector('.field[data-key="' + CSS.escape(key) + '"]');
    const err = scope.querySelector('.field-error[data-key="' + CSS.escape(key) + '"]');
    if (field && err) {
      field.classList.add("invalid");
      err.hidden = false;
      err.textContent = (err.textContent ? err.textContent + "; " : "") + p.message;
    }
  }
}

async function datasetsTab(body, name) {
  let data;
  try { data = await api("GET", "/api/envs/" + enc(name) + "/datasets"); }
  catch (e) {
    const problems = (e.body && e.body.problems) || [];
    body.append(el("div", { class: "messages" }, el("p", { class: "error" }, "The datasets cannot be read until the config validates:"),
      el("ul", {}, (problems.length ? problems.map(p => p.text) : [e.message]).map(t => el("li", { class: "error" }, t)))));
    return;
  }
  for (const d of data.datasets) {
    const box = el("div", { class: "dataset", "data-dataset": d.id });
    body.append(box);
    box.append(el("h2", {}, d.id, " ", el("span", { class: "badge" }, d.type), d.count !== undefined ? el("span", { class: "muted" }, " " + d.count + " images") : ""));
    if (d.error) { box.append(el("p", { class: "error" }, d.error)); continue; }
    if (d.type === "text_embeds") { box.append(el("p", { class: "muted" }, "text embedding cache: " + d.cache_dir + (d.default ? " (default)" : ""))); continue; }
    box.append(el("p", { class: "muted" }, d.folder + (d.caption_strategy ? " · captions: " + d.caption_strategy : "") + (d.conditioning && d.conditioning.length ? " · conditioning: " + d.conditioning.join(", ") : "")));
    if (d.skipped && d.skipped.length) box.append(el("ul", { class: "messages" }, d.skipped.map(s => el("li", { class: "warning" }, s))));
    if (d.type === "conditioning") {
      for (const p of d.paired_with) {
        box.append(el("p", {}, p.pairs + " references paired with '" + p.dataset + "'"));
        if (p.images_without_reference.length) box.append(el("p", { class: "error" }, "images of '" + p.dataset + "' without a reference: " + p.images_without_reference.join(", ")));
      }
      if (!d.paired_with.length) box.append(el("p", { class: "error" }, "no image dataset names this conditioning dataset in conditioning_data"));
      if (d.references_without_image.length) box.append(el("p", { class: "warning" }, "references without a training image (unused): " + d.references_without_image.join(", ")));
    }
    const grid = el("div", { class: "thumbs" });
    box.append(grid);
    for (const img of d.images) {
      const src = "/api/envs/" + enc(name) + "/datasets/" + enc(d.id) + "/images/" + encPath(img.path);
      const card = el("div", { class: "thumb", "data-path": img.path },
        el("img", { src: src + "?thumb=160", alt: img.path, loading: "lazy", onclick: () => openLightbox(src, (img.captions || []).join(" | ")) }),
        el("div", { class: "path" }, img.path));
      if (d.captions_editable) {
        const t = el("textarea", { class: "caption" }, img.text !== undefined && img.text !== null ? img.text : (img.captions || []).join("\n"));
        const m = el("span", { class: "muted" });
        card.append(t, el("div", { class: "row" }, el("button", { class: "secondary", onclick: async () => {
          try { await api("PUT", src.replace("/images/", "/captions/"), { caption: t.value }); m.textContent = "saved"; }
          catch (e) { m.textContent = e.message; }
        } }, "Save caption"), m));
      } else if (img.captions) card.append(el("div", {}, img.captions.join(" | ")));
      grid.append(card);
    }
  }
}

async function trainTab(body, name, env) {
  const msg = el("div", { class: "messages", id: "train-messages" });
  const overrides = el("textarea", { id: "train-overrides", rows: 6, spellcheck: "false" }, "{\n  \n}");
  const start = el("button", { id: "start-job", onclick: async () => {
    let o;
    try { o = JSON.parse(overrides.value || "{}"); } catch (e) { showError(msg, new Error("overrides: not valid JSON: " + e.message)); return; }
    try {
      const job = await api("POST", "/api/jobs", { env: name, overrides: o });
      location.hash = "#/job/" + enc(job.id);
    } catch (e) {
      const problems = (e.body && e.body.problems) || [];
      messages(msg, problems.length ? problems.map(p => ["error", p.text]) : [["error", e.message]]);
    }
  } }, "Start training");
  body.append(
    env.valid ? el("p", { class: "ok" }, "The config validates; outputs go to " + env.output_dir + ".")
      : el("div", { class: "messages" }, el("p", { class: "error" }, "The config does not validate:"), el("ul", {}, env.problems.map(p => el("li", { class: "error" }, p.text)))),
    el("p", {}, "Overrides (config keys, as ", el("code", {}, "train --key value"), " takes them), for example ", el("code", {}, '{"max_train_steps": 20}'), ":"),
    overrides, el("div", { class: "row", style: "margin-top:12px" }, start), msg);
}

// ---------- jobs ----------
async function jobsPage() {
  const { jobs } = await api("GET", "/api/jobs");
  view.append(el("h1", {}, "Jobs"), el("div", { class: "panel" }, jobs.length === 0 ? el("p", { class: "muted" }, "No job yet: start one from an environment's Train tab.") :
    el("table", { id: "job-list" }, el("tr", {}, ["job", "environment", "state", "step", "loss"].map(h => el("th", {}, h))),
      jobs.map(j => el("tr", {}, el("td", {}, el("a", { href: "#/job/" + enc(j.id) }, j.id)), el("td", {}, j.env), el("td", {}, badge(j.state)),
        el("td", {}, j.step + " / " + j.total), el("td", {}, fmt(j.loss)))))));
}

function chart(id, title, series, color) {
  const box = el("div", { class: "chart panel", id });
  const count = el("span", { class: "count" }, "0 steps");
  box.append(el("h2", {}, title, " ", count));
  const plotBox = el("div", {});
  box.append(plotBox);
  let plot = null;
  return {
    node: box,
    update(xs, ys) {
      count.textContent = xs.length + " steps";
      count.dataset.points = xs.length;
      if (!plot) {
        if (!xs.length) return;
        plot = new uPlot({ width: Math.max(300, plotBox.clientWidth || 560), height: 220, scales: { x: { time: false } },
          series: [{ label: "step" }, { label: series, stroke: color, width: 1.5 }],
          axes: [{}, { size: 70, values: (u, vals) => vals.map(axisNumber) }] }, [xs, ys], plotBox);
      } else plot.setData([xs, ys]);
    },
  };
}

async function jobPage(id) {
  let job = await api("GET", "/api/jobs/" + enc(id));
  const stat = (label, key) => el("div", { class: "stat" }, el("div", { class: "label" }, label), el("div", { class: "value", id: "job-" + key }, "–"));
  const stateBox = el("span", { id: "job-state" });
  const phase = el("span", { id: "job-phase", class: "muted" });
  const stop = el("button", { class: "danger", id: "stop-job", onclick: async () => {
    stop.disabled = true;
    try { render(await api("POST", "/api/jobs/" + enc(id) + "/stop")); } catch (e) { showError(msg, e); }
  } }, "Stop");
  const msg = el("div", { class: "messages", id: "job-messages" });
  const loss = chart("loss-chart", "Loss", "loss", "#5b3cc4"), lr = chart("lr-chart", "Learning rate", "lr", "#1f7a3a");
  const gallery = el("div", { class: "gallery", id: "gallery" });
  const files = el("div", { id: "job-files" });
  const log = el("pre", { class: "log", id: "log" });
  view.append(
    el("h1", {}, "Job ", id, " ", stateBox, " ", phase),
    el("p", { class: "muted" }, "environment ", el("a", { href: "#/env/" + enc(job.env) }, job.env)),
    el("div", { class: "row", style: "margin-bottom:12px" }, stop), msg,
    el("div", { class: "stats" }, stat("step", "step"), stat("s/it", "sit"), stat("ETA", "eta"), stat("loss", "loss"), stat("learning rate", "lr"), stat("grad norm", "grad")),
    el("div", { class: "charts", style: "margin-top:16px" }, loss.node, lr.node),
    el("div", { class: "panel" }, el("h2", {}, "Validation images"), gallery),
    el("div", { class: "panel" }, el("h2", {}, "LoRA and checkpoints"), files),
    el("div", { class: "panel" }, el("h2", {}, "Log"), log));

  const xs = [], losses = [], lrs = [];
  const images = new Map(); // step -> [image events]
  function render(j) {
    job = j;
    stateBox.replaceChildren(badge(j.state));
    phase.textContent = j.phase ? "· " + j.phase : "";
    document.getElementById("job-step").textContent = j.step + " / " + j.total;
    document.getElementById("job-sit").textContent = j.seconds_per_step === null ? "–" : j.seconds_per_step.toFixed(3);
    document.getElementById("job-eta").textContent = duration(j.eta_seconds);
    document.getElementById("job-loss").textContent = fmt(j.loss);
    document.getElementById("job-lr").textContent = fmt(j.learning_rate, 3);
    document.getElementById("job-grad").textContent = fmt(j.grad_norm);
    stop.disabled = !["queued", "running"].includes(j.state);
    if (j.error) messages(msg, [["error", j.error]]);
    if (j.log_tail) log.textContent = j.log_tail.join("\n");
  }
  function onEvent(e) {
    if (e.type === "training.progress") {
      const p = e.progress, m = p.metrics;
      // a resumed run repeats steps after its checkpoint: keep the latest value of each step
      while (xs.length && xs[xs.length - 1] >= p.current) { xs.pop(); losses.pop(); lrs.pop(); }
      xs.push(p.current); losses.push(m.loss); lrs.push(m.learning_rate);
      job.step = p.current; job.total = p.total; job.loss = m.loss; job.learning_rate = m.learning_rate; job.grad_norm = m.grad_norm;
      job.seconds_per_step = m.seconds_per_step === undefined ? null : m.seconds_per_step; job.eta_seconds = p.eta_seconds === undefined ? null : p.eta_seconds;
      job.phase = "training";
      dirty = true;
    } else if (e.type === "lifecycle.stage") {
      job.phase = e.stage.key; dirty = true;
    } else if (e.type === "validation.image") {
      const step = e.data.step;
      if (!images.has(step)) images.set(step, []);
      images.get(step).push(e);
      renderGallery();
    } else if (e.type === "training.checkpoint") {
      loadFiles();
    }
  }
  let dirty = false;
  function renderGallery() {
    gallery.replaceChildren(...[...images.keys()].sort((a, b) => a - b).map(step => el("div", { class: "step", "data-step": step }, el("span", {}, "step " + step),
      images.get(step).map(e => {
        const src = "/api/jobs/" + enc(id) + "/files/" + encPath(e.images[0]);
        const caption = "step " + step + " · " + e.data.shortname + " #" + e.data.index + " · " + e.data.resolution;
        return el("figure", {}, el("img", { src, alt: caption, onclick: () => openLightbox(src, caption) }), el("figcaption", {}, e.data.shortname + " #" + e.data.index));
      }))));
  }
  async function loadFiles() {
    const f = await api("GET", "/api/jobs/" + enc(id) + "/files");
    const link = x => el("li", {}, el("a", { href: "/api/jobs/" + enc(id) + "/files/" + encPath(x.path), download: x.path.split("/").pop() }, x.path), " ", el("span", { class: "muted" }, bytes(x.bytes)));
    files.replaceChildren(
      el("h2", {}, "Final LoRA"), f.lora.length ? el("ul", { id: "lora-files" }, f.lora.map(link)) : el("p", { class: "muted" }, "not written yet"),
      el("h2", {}, "Checkpoints"), f.checkpoints.length ? el("ul", { id: "checkpoints" }, f.checkpoints.map(c => el("li", { "data-checkpoint": c.name }, el("b", {}, c.name), el("ul", {}, c.files.map(link)))))
        : el("p", { class: "muted" }, "none yet"),
      ...(f.other.length ? [el("h2", {}, "Run files"), el("ul", { id: "run-files" }, f.other.map(link))] : []));
  }
  async function refreshLog() {
    try { log.textContent = await (await fetch("/api/jobs/" + enc(id) + "/log?lines=60")).text(); log.scrollTop = log.scrollHeight; } catch { /* next time */ }
  }

  render(job);
  loadFiles();
  refreshLog();
  const source = new EventSource("/api/jobs/" + enc(id) + "/events?since=0");
  for (const type of ["training.status", "lifecycle.stage", "training.progress", "training.checkpoint", "validation.image", "error"])
    source.addEventListener(type, m => onEvent(JSON.parse(m.data)));
  source.addEventListener("state", m => { render(JSON.parse(m.data)); dirty = false; loadFiles(); });
  source.addEventListener("end", () => { source.close(); loadFiles(); refreshLog(); api("GET", "/api/jobs/" + enc(id)).then(render); });
  let ticks = 0;
  const timer = setInterval(() => {
    if (dirty) { render(job); loss.update(xs, losses); lr.update(xs, lrs); dirty = false; }
    if (["queued", "running", "stopping"].includes(job.state)) {
      refreshLog();
      if (++ticks % 10 === 0) loadFiles(); // the metrics and events files grow
    }
  }, 500);
  leavePage = () => { source.close(); clearInterval(timer); };
}

// ---------- system ----------
async function systemPage() {
  const s = await api("GET", "/api/system");
  const m = s.memory;
  view.append(el("h1", {}, "System"), el("div", { class: "panel" }, el("table", { id: "system" },
    [["version", s.version], ["JDK", s.jdk], ["OS", s.os], ["processors", s.processors], ["threads", s.threads], ["SIMD", s.simd],
     ["heap max", bytes(m.heap_max_bytes)], ["free memory", m.physical_free_bytes === undefined ? "unknown" : bytes(m.physical_free_bytes) + " of " + bytes(m.physical_total_bytes)]]
      .map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, String(v)))))),
    el("h2", {}, "Backends (--device cpu, opencl:N or cuda:N)"),
    el("div", { class: "panel" }, el("table", { id: "backends" }, el("tr", {}, el("th", {}, "backend"), el("th", {}, "usable"), el("th", {}, "devices / detail")),
      s.backends.map(b => el("tr", {}, el("td", {}, b.name), el("td", {}, b.usable ? "yes" : "no"),
        el("td", {}, b.devices.length ? el("ul", { class: "plain" }, b.devices.map(d => el("li", {}, d))) : (b.detail || "")))))));
}

api("GET", "/api/health").then(h => { document.getElementById("version").textContent = "version " + h.version; }).catch(() => {});
route();
