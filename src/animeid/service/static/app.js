// animeid web page: plain JS, no build step. Talks to the same REST API bots use.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { caps: {}, busy: false, objectUrl: null, frameUrl: null };

function clock(seconds) {
  const s = Math.max(0, seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = (s % 60).toFixed(1).padStart(4, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

function setStatus(text, busy = false) {
  const el = $("status");
  el.textContent = text;
  el.classList.toggle("busy", busy);
  $("drop").classList.toggle("busy", busy);
}

function showError(message) {
  const el = $("error");
  el.textContent = message;
  el.hidden = !message;
}

async function api(path, options = {}) {
  const res = await fetch(path, options);
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) {
    const msg = body && body.error ? body.error : `${res.status} ${res.statusText}`;
    const err = new Error(msg);
    err.status = res.status;
    throw err;
  }
  return body;
}

async function loadInfo() {
  try {
    const health = await api("/health");
    state.caps = health.capabilities || {};
    const idx = health.index;
    $("index-info").textContent = idx
      ? `${idx.titles} title${idx.titles === 1 ? "" : "s"}, ${idx.entries.toLocaleString()} scenes indexed`
      : "no scene index";
    if (state.caps.search) {
      const { titles } = await api("/titles");
      const select = $("title");
      for (const t of titles) {
        const opt = document.createElement("option");
        opt.value = t.title;
        opt.textContent = t.title;
        select.appendChild(opt);
      }
    }
  } catch (e) {
    $("index-info").textContent = "server unreachable";
    showError(`Cannot reach the animeid server: ${e.message}`);
  }
}

// ---- input: drag & drop, paste, file chooser -------------------------------------------
const VIDEO_NAME = /\.(mp4|m4v|mkv|webm|mov|avi|ts|m2ts|flv|wmv|mpe?g)$/i;

function isVideo(f) {
  return f.type.startsWith("video/") || (!f.type.startsWith("image/") && VIDEO_NAME.test(f.name || ""));
}

// a picture, or a video clip (searched as a clip: where it starts in the episode)
function firstMedia(files) {
  for (const f of files || []) {
    if (f && (f.type.startsWith("image/") || isVideo(f) || /\.(jpe?g|png|webp|gif|bmp|tiff?)$/i.test(f.name || ""))) return f;
  }
  return null;
}

function setupInput() {
  const drop = $("drop");
  // face boxes mark the clip's first frame: shown only while it stands still on that frame. A
  // looping clip seeks back to 0 at every turn while it plays, so a seek alone must not show them.
  const player = $("query-video");
  const syncBoxes = () => {
    if (!player.hidden) $("boxes").hidden = !player.paused || player.currentTime > 0.05;
  };
  ["play", "pause", "seeked"].forEach((type) => player.addEventListener(type, syncBoxes));
  const file = $("file");
  $("choose").addEventListener("click", (e) => { e.stopPropagation(); file.click(); });
  drop.addEventListener("click", () => file.click());
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); file.click(); } });
  file.addEventListener("change", () => { if (file.files[0]) handleFile(file.files[0]); file.value = ""; });
  ["dragenter", "dragover"].forEach((type) => drop.addEventListener(type, (e) => {
    e.preventDefault();
    drop.classList.add("dragging");
  }));
  ["dragleave", "dragend"].forEach((type) => drop.addEventListener(type, () => drop.classList.remove("dragging")));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("dragging");
    const f = firstMedia(e.dataTransfer.files);
    if (f) handleFile(f); else showError("That was neither a picture nor a video. Drop a JPEG, PNG, WebP or GIF, or a short clip (MP4, WebM, MKV).");
  });
  // Dropping outside the zone must not navigate away from the page.
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => e.preventDefault());
  document.addEventListener("paste", (e) => {
    const items = e.clipboardData ? Array.from(e.clipboardData.items) : [];
    const item = items.find((i) => i.kind === "file" && (i.type.startsWith("image/") || i.type.startsWith("video/")));
    if (item) { e.preventDefault(); handleFile(item.getAsFile()); }
  });
  ["title", "k", "cut"].forEach((id) => $(id).addEventListener("change", () => { if (state.lastFile) handleFile(state.lastFile); }));
}

// ---- searching ---------------------------------------------------------------------------
// The first frame of a clip, as a PNG, for the character and genre models (they take pictures);
// null when this browser cannot decode the clip (the server still searches it).
// `loadeddata` only promises that *some* data is there: on a busy machine the element could be
// drawn before its first frame was decoded, and the models got a blank picture ("no face found").
// A seek to 0 ends (`seeked`) only once the frame at 0 is decoded, so the frame is drawn then.
function firstFrame(video) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (blob) => { if (!done) { done = true; resolve(blob); } };
    const grab = () => {
      if (!video.videoWidth) { finish(null); return; }
      const canvas = document.createElement("canvas");
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      canvas.toBlob((blob) => finish(blob), "image/png");
    };
    const seekToStart = () => {
      video.addEventListener("seeked", grab, { once: true });
      video.currentTime = 0;
    };
    video.addEventListener("error", () => finish(null), { once: true });
    // a browser that never ends the seek still gets its current frame drawn, later
    setTimeout(() => { if (!done && video.readyState >= 2) grab(); }, 5000);
    setTimeout(() => finish(null), 15000);
    if (video.readyState >= 1) seekToStart();
    else video.addEventListener("loadedmetadata", seekToStart, { once: true });
  });
}

function showQuery(f, clip) {
  const img = $("query");
  const player = $("query-video");
  if (state.objectUrl) URL.revokeObjectURL(state.objectUrl);
  if (state.frameUrl) URL.revokeObjectURL(state.frameUrl);
  state.objectUrl = URL.createObjectURL(f);
  state.frameUrl = null;
  img.hidden = clip;
  player.hidden = !clip;
  $("boxes").hidden = false;
  $("query-title").textContent = clip ? "Your clip" : "Your image";
  $("faces-title").textContent = clip ? "Characters (first frame)" : "Characters";
  if (clip) {
    img.removeAttribute("src");
    player.src = state.objectUrl;
  } else {
    player.removeAttribute("src");
    player.load();
    img.src = state.objectUrl;
  }
}

// One search at a time; whatever goes wrong in it, the page must not stay busy.
async function handleFile(f) {
  if (state.busy || !f) return;  // a pasted item can yield no file
  state.busy = true;
  try {
    await searchAll(f);
  } catch (e) {
    showError(`Something went wrong on this page: ${e.message}`);
    setStatus("Failed");
  } finally {
    state.busy = false;
  }
}

async function searchAll(f) {
  state.lastFile = f;
  showError("");
  const clip = isVideo(f);
  showQuery(f, clip);
  $("drop").classList.add("compact");
  $("layout").hidden = false;
  $("boxes").innerHTML = "";
  $("faces-panel").hidden = true;
  $("genres-panel").hidden = true;
  $("results").innerHTML = "";
  $("hint").hidden = true;
  setStatus(clip ? "Searching the clip…" : "Searching…", true);
  const started = performance.now();

  const form = (blob, name) => { const fd = new FormData(); fd.append("image", blob, name); return fd; };
  const params = new URLSearchParams({ k: $("k").value, cutBorders: $("cut").checked ? "true" : "false" });
  if ($("title").value) params.set("title", $("title").value);

  const jobs = [];
  const name = f.name || (clip ? "clip.mp4" : "pasted.png");
  if (state.caps.search) jobs.push(api(`/search?${params}`, { method: "POST", body: form(f, name) }).then(renderResults));
  else $("results").innerHTML = '<p class="empty">This server has no scene index.</p>';
  const notes = [];
  if (state.caps.identify || state.caps.genres) {
    let picture = f, pictureName = name;
    if (clip) {
      picture = await firstFrame($("query-video"));
      pictureName = "first-frame.png";
      if (picture) {
        state.frameUrl = URL.createObjectURL(picture);
        $("query").src = state.frameUrl;  // hidden: the face thumbnails and boxes are drawn from it
      } else {
        notes.push("This browser cannot play that clip, so its characters and genres were not looked at (its scene is still searched).");
      }
    }
    if (picture) {
      if (state.caps.identify) jobs.push(api("/identify?faces=true", { method: "POST", body: form(picture, pictureName) }).then(renderFaces));
      if (state.caps.genres) jobs.push(api("/genres", { method: "POST", body: form(picture, pictureName) }).then(renderGenres));
    }
  }
  const outcomes = await Promise.allSettled(jobs);
  const failed = outcomes.filter((o) => o.status === "rejected").map((o) => o.reason.message);
  const uniq = [...new Set(failed)];
  showError(uniq.concat(notes).join(" · "));
  const secs = ((performance.now() - started) / 1000).toFixed(2);
  setStatus(uniq.length ? "Failed" : `Done in ${secs} s`);
}

function similarityClass(s) { return s >= 0.9 ? "" : s >= 0.8 ? "fair" : "poor"; }

function renderResults(answer) {
  const box = $("results");
  box.innerHTML = "";
  const results = answer.results || [];
  $("results-title").textContent = results.length ? `Scenes (${results.length})` : "Scenes";
  const hint = $("hint");
  hint.hidden = true;
  if (!results.length) {
    box.innerHTML = '<p class="empty">No matching scene in this index.</p>';
    return;
  }
  if (results[0].similarity < 0.8) {
    hint.textContent = "Low similarity: this scene is probably not in the index (or the image is heavily edited).";
    hint.hidden = false;
  }
  const tpl = $("card-template");
  results.forEach((r, i) => {
    const card = tpl.content.firstElementChild.cloneNode(true);
    if (i === 0 && r.similarity >= 0.8) card.classList.add("best");
    card.dataset.title = r.title;
    card.querySelector(".thumb").src = r.thumbnail;
    card.querySelector(".thumb").alt = `${r.title} at ${clock(r.at)}`;
    card.querySelector(".rank").textContent = `#${i + 1}`;
    card.querySelector(".card-title").textContent = r.title;
    const ep = r.episode === null || r.episode === undefined ? "" : `Episode ${r.episode} · `;
    // a video or an animated GIF is searched as a clip: its answer is where it starts, and how many frames agree
    const when = r.frames === undefined ? `${clock(r.at)}  (${clock(r.from)} – ${clock(r.to)})`
      : `starts ${clock(r.at)} · ${r.frames} frames agree`;
    card.querySelector(".meta").textContent = `${ep}${when}`;
    card.querySelector(".meta").title = r.file;
    const pct = Math.round(r.similarity * 1000) / 10;
    const bar = card.querySelector(".sim-bar span");
    bar.style.width = `${Math.max(2, Math.min(100, r.similarity * 100))}%`;
    const cls = similarityClass(r.similarity);
    if (cls) bar.classList.add(cls);
    card.querySelector(".sim-value").textContent = `${pct.toFixed(1)}%`;
    card.querySelector(".sim").title = "similarity of your image to this scene";
    const play = () => playPreview(card, r);
    card.addEventListener("click", play);
    card.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); play(); } });
    box.appendChild(card);
  });
}

function playPreview(card, r) {
  const media = card.querySelector(".media");
  const existing = media.querySelector("video");
  if (existing) {
    if (existing.paused) existing.play(); else existing.pause();
    return;
  }
  const video = document.createElement("video");
  video.src = r.video;
  video.autoplay = true;
  video.muted = true;
  video.loop = true;
  video.playsInline = true;
  video.controls = true;
  video.poster = r.thumbnail;
  video.addEventListener("error", () => {
    showError(`The scene preview of ${r.title} could not be played.`);
    video.remove();
    card.classList.remove("playing");
    card.querySelector(".thumb").hidden = false;
  });
  card.querySelector(".thumb").hidden = true;
  card.classList.add("playing");
  media.insertBefore(video, media.firstChild);
}

// ---- characters and genres: tolerant of the exact shapes the models answer with ---------
function candidatesOf(face) {
  const list = face.results || face.candidates || face.matches || [];
  return list.map((c) => ({ label: c.label ?? c.name, score: c.score ?? c.similarity ?? c.probability }))
    .filter((c) => c.label !== undefined && c.label !== null);
}

function boxOf(face) {
  const b = face.box || face.bbox;
  if (!b) return null;
  if (Array.isArray(b)) return { x: b[0], y: b[1], w: b[2], h: b[3] };
  return { x: b.x, y: b.y, w: b.w ?? b.width, h: b.h ?? b.height };
}

function renderFaces(answer) {
  // /identify?faces=true answers {faces: [{box, results}], face_found}; without faces, {results}.
  const faces = answer.faces || (answer.results ? [{ box: null, results: answer.results }] : []);
  const panel = $("faces-panel");
  const list = $("faces");
  list.innerHTML = "";
  $("boxes").innerHTML = "";
  panel.hidden = false;
  if (!faces.length) {
    list.innerHTML = '<li class="unknown">No face found.</li>';
    return;
  }
  const img = $("query");
  const draw = () => {
    const W = img.naturalWidth || 1, H = img.naturalHeight || 1;
    faces.forEach((face, i) => {
      const b = boxOf(face);
      const all = candidatesOf(face);
      const known = all.length > 0 && all[0].label !== "unknown";
      const cands = all.filter((c) => c.label !== "unknown");
      const li = document.createElement("li");
      const thumb = document.createElement("canvas");
      thumb.width = 96; thumb.height = 96;
      const ctx = thumb.getContext("2d");
      if (b) ctx.drawImage(img, b.x, b.y, b.w, b.h, 0, 0, 96, 96); else ctx.drawImage(img, 0, 0, 96, 96);
      const num = document.createElement("span");
      num.className = "num";
      num.textContent = String(i + 1);
      const text = document.createElement("div");
      const who = document.createElement("div");
      who.className = known ? "who" : "who unknown";
      who.textContent = known ? cands[0].label : "unknown character";
      if (answer.face_found === false) who.textContent += " (no face found: whole picture)";
      const alt = document.createElement("div");
      alt.className = "alt";
      alt.textContent = (known ? "" : "closest: ") + cands.slice(0, 3).map((c) => `${c.label}${c.score !== undefined && c.score !== null ? " " + (c.score * 100).toFixed(0) + "%" : ""}`).join(" · ");
      text.append(who, alt);
      li.append(num, thumb, text);
      list.appendChild(li);
      if (b) {
        const el = document.createElement("div");
        el.className = "box";
        el.style.left = `${(100 * b.x) / W}%`;
        el.style.top = `${(100 * b.y) / H}%`;
        el.style.width = `${(100 * b.w) / W}%`;
        el.style.height = `${(100 * b.h) / H}%`;
        const tag = document.createElement("span");
        tag.textContent = String(i + 1);
        el.title = known ? cands[0].label : "unknown character";
        el.appendChild(tag);
        $("boxes").appendChild(el);
      }
    });
  };
  if (img.complete && img.naturalWidth) draw(); else img.addEventListener("load", draw, { once: true });
}

function renderGenres(answer) {
  let items = [];
  const g = answer.genres ?? answer.scores ?? answer;
  if (Array.isArray(g)) items = g.map((x) => (typeof x === "string" ? { genre: x, score: null } : { genre: x.genre ?? x.name ?? x.label, score: x.score ?? x.probability ?? null, on: x.predicted ?? x.selected }));
  else if (g && typeof g === "object") items = Object.entries(g).map(([genre, score]) => ({ genre, score }));
  const predicted = new Set(answer.predicted || items.filter((x) => x.on).map((x) => x.genre));
  items.sort((a, b) => (b.score ?? 0) - (a.score ?? 0));
  const box = $("genres");
  box.innerHTML = "";
  $("genres-panel").hidden = false;
  if (!items.length) { box.innerHTML = '<span class="unknown">No genre predicted.</span>'; return; }
  items.slice(0, 8).forEach((x) => {
    const chip = document.createElement("span");
    chip.className = "chip";
    if (predicted.size) chip.classList.add(predicted.has(x.genre) ? "on" : "weak");
    chip.textContent = x.genre;
    if (x.score !== null && x.score !== undefined) {
      const b = document.createElement("b");
      b.textContent = `${Math.round(x.score * 100)}%`;
      chip.appendChild(b);
    }
    box.appendChild(chip);
  });
}

setupInput();
loadInfo();
