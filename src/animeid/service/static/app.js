// animeid web page, part 2 of 2: input, and the searches. Plain JS, no build step; it talks to
// the same REST API bots use. render.js (loaded first) draws the answers.
"use strict";

// caps: null until /health has answered (a server unreachable at load is asked again later).
// next: the file to search once the running search ends (the latest one given wins).
const state = { caps: null, limits: {}, busy: false, next: null, objectUrl: null, frameUrl: null };
const UNREACHABLE = "The animeid server is not reachable (stopped, or the network is down).";

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
  let res;
  try {
    res = await fetch(path, options);
  } catch (e) {
    // fetch says only "Failed to fetch" (a TypeError) when no answer came at all
    const err = new Error(UNREACHABLE);
    err.unreachable = true;
    throw err;
  }
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

// A server's reason, for the person who gave the file: the server names an upload "<N bytes>" and
// adds the Python exception's class, which mean nothing to them.
function plainReason(message, fileLabel) {
  return message.replace(/<\d+ bytes>/g, fileLabel).replace(/\([A-Z]\w*(?:Error|Exception|Warning): /g, "(");
}

// true once /health answered; the search retries it while it has not
async function loadInfo() {
  let health;
  try {
    health = await api("/health");
  } catch (e) {
    $("index-info").textContent = "server unreachable";
    showError(e.unreachable ? e.message : `The animeid server could not say what it can do: ${e.message}`);
    return false;
  }
  state.caps = health.capabilities || {};
  state.limits = health.limits || {};
  showError("");
  const idx = health.index;
  $("index-info").textContent = idx
    ? `${idx.titles} title${idx.titles === 1 ? "" : "s"}, ${idx.entries.toLocaleString()} scenes indexed`
    : "no scene index";
  offerResultCounts(state.limits.max_k);
  if (state.caps.search) {
    try {
      const { titles } = await api("/titles");
      const select = $("title");
      select.length = 1;  // "all titles": a search may have asked again while the page loaded
      for (const t of titles) select.add(new Option(t.title, t.title));
    } catch (e) {
      showError(`The list of titles could not be loaded: ${e.message}`);
    }
  }
  return true;
}

// a server may take fewer results than the page's usual choices (then /search answered 422)
function offerResultCounts(maxK) {
  if (!maxK) return;
  const select = $("k");
  const counts = [3, 5, 10].filter((n) => n <= maxK);
  if (maxK < 10 && !counts.includes(maxK)) counts.push(maxK);
  select.innerHTML = "";
  for (const n of counts) select.add(new Option(String(n), String(n)));
  select.value = String(counts.filter((n) => n <= 5).pop() ?? counts[0]);
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

// An animated GIF, WebP or PNG is searched as a clip, and its face boxes fit its first frame only.
// Read from the file's own header: browsers tell no animation apart in an <img>.
async function isAnimated(f) {
  if (!/^image\/(gif|webp|a?png)$/.test(f.type) && !/\.(gif|webp|a?png)$/i.test(f.name || "")) return false;
  const b = new Uint8Array(await f.arrayBuffer());
  const text = (at, n) => String.fromCharCode(...b.subarray(at, at + n));
  const u32 = (at) => ((b[at] << 24) >>> 0) + (b[at + 1] << 16) + (b[at + 2] << 8) + b[at + 3];
  if (text(0, 3) === "GIF") return gifFrames(b) > 1;
  if (text(0, 4) === "RIFF" && text(8, 4) === "WEBP") return text(12, 4) === "VP8X" && (b[20] & 0x02) !== 0;
  if (text(1, 3) === "PNG") {
    for (let at = 8; at + 12 <= b.length; at += 12 + u32(at)) {
      if (text(at + 4, 4) === "acTL") return u32(at + 8) > 1;   // an APNG's frame count
      if (text(at + 4, 4) === "IDAT") return false;             // acTL must come before the image
    }
  }
  return false;
}

// the image descriptors in a GIF, counted up to 2: enough to tell a still from an animation
function gifFrames(b) {
  const table = (flags) => (flags & 0x80 ? 3 << ((flags & 7) + 1) : 0);
  let at = 13 + table(b[10]), frames = 0;
  const skipSubBlocks = () => { while (at < b.length && b[at]) at += b[at] + 1; at += 1; };
  while (at < b.length && frames < 2) {
    if (b[at] === 0x21) { at += 2; skipSubBlocks(); }
    else if (b[at] === 0x2c) { frames += 1; at += 10 + table(b[at + 9]) + 1; skipSubBlocks(); }
    else break;
  }
  return frames;
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
  // an animated picture shows its first frame, with the boxes, until asked to play
  $("query-play").addEventListener("click", () => showAnimation($("query-anim").hidden));
  // a file this browser cannot show would stand there as a broken-image icon
  $("query").addEventListener("error", () => {
    if (!$("query").getAttribute("src")) return;
    $("query").hidden = true;
    $("query-note").hidden = false;
  });
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
  // options read when a search starts: changed during one, they apply to the next run
  ["title", "k", "cut"].forEach((id) => $(id).addEventListener("change", () => {
    const f = state.next || state.lastFile;
    if (f) handleFile(f);
  }));
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

// The first frame of an animated picture, as a PNG; null if this browser cannot decode it.
// createImageBitmap takes an animation's first frame (an <img> drawn later would give any frame).
async function firstPictureFrame(f) {
  try {
    const bitmap = await createImageBitmap(f);
    const canvas = document.createElement("canvas");
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    canvas.getContext("2d").drawImage(bitmap, 0, 0);
    bitmap.close();
    return await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  } catch (e) {
    return null;
  }
}

// The animation itself (boxes off: they fit its first frame only), or its first frame with boxes.
function showAnimation(play) {
  const anim = $("query-anim");
  anim.hidden = !play;
  $("query").hidden = play;
  $("boxes").hidden = play;
  if (play) anim.src = state.objectUrl; else anim.removeAttribute("src");  // plays from the start next time
  $("query-play").textContent = play ? "Show the first frame" : "Play the animation";
}

// kind: "picture", "animated" (a GIF, WebP or PNG that moves) or "clip" (a video)
function showQuery(f, kind) {
  const img = $("query");
  const player = $("query-video");
  if (state.objectUrl) URL.revokeObjectURL(state.objectUrl);
  if (state.frameUrl) URL.revokeObjectURL(state.frameUrl);
  state.objectUrl = URL.createObjectURL(f);
  state.frameUrl = null;
  showAnimation(false);
  img.hidden = kind === "clip";
  player.hidden = kind !== "clip";
  $("query-play").hidden = kind !== "animated";
  $("query-note").hidden = true;
  // a clip's boxes wait for it to stand on its first frame (see setupInput)
  $("boxes").hidden = kind === "clip";
  $("query-title").textContent = { picture: "Your image", animated: "Your animated picture", clip: "Your clip" }[kind];
  $("faces-title").textContent = kind === "picture" ? "Characters" : "Characters (first frame)";
  img.removeAttribute("src");  // an animation's first frame takes its place once drawn
  if (kind === "clip") {
    player.src = state.objectUrl;
  } else {
    player.removeAttribute("src");
    player.load();
    if (kind === "picture") img.src = state.objectUrl;
  }
}

// One search at a time; one given meanwhile (a file, or the same one with new options) runs
// next, the latest replacing any waiting. Whatever goes wrong in it, the page must not stay busy.
async function handleFile(f) {
  if (!f) return;  // a pasted item can yield no file
  if (state.busy) {
    state.next = f;
    const then = f === state.lastFile ? "again with the new options" : fileLabel(f);
    setStatus(`Searching… then ${then}`, true);
    return;
  }
  state.busy = true;
  try {
    await searchAll(f);
  } catch (e) {
    showError(`Something went wrong on this page: ${e.message}`);
    setStatus("Failed");
  } finally {
    state.busy = false;
  }
  const next = state.next;
  state.next = null;
  if (next) handleFile(next);
}

function fileLabel(f) { return f.name ? `“${f.name}”` : "your pasted picture"; }

async function searchAll(f) {
  state.lastFile = f;
  showError("");
  const kind = isVideo(f) ? "clip" : (await isAnimated(f)) ? "animated" : "picture";
  showQuery(f, kind);
  $("drop").classList.add("compact");
  $("layout").hidden = false;
  $("boxes").innerHTML = "";
  $("faces-panel").hidden = true;
  $("genres-panel").hidden = true;
  $("results").innerHTML = "";
  $("results-title").textContent = "Scenes";
  $("hint").hidden = true;
  if (!state.caps && !(await loadInfo())) { setStatus("Failed"); return; }
  const label = fileLabel(f);
  const limit = state.limits.max_upload_bytes;
  if (limit && f.size > limit) {
    showError(`${label} is ${sizeText(f.size)}: this server takes files up to ${sizeText(limit)}.`);
    setStatus("Failed");
    return;
  }
  setStatus(kind === "picture" ? "Searching…" : "Searching the clip…", true);
  const started = performance.now();

  const form = (blob, name) => { const fd = new FormData(); fd.append("image", blob, name); return fd; };
  const params = new URLSearchParams({ k: $("k").value, cutBorders: $("cut").checked ? "true" : "false" });
  if ($("title").value) params.set("title", $("title").value);

  const jobs = [];
  const name = f.name || (kind === "clip" ? "clip.mp4" : "pasted.png");
  const explained = (fileName) => (e) => { throw new Error(plainReason(e.message, fileName)); };
  if (state.caps.search) {
    jobs.push(api(`/search?${params}`, { method: "POST", body: form(f, name) }).then(renderResults, explained(label)));
  }
  else $("results").innerHTML = '<p class="empty">This server has no scene index.</p>';
  const notes = [];
  const models = state.caps.identify || state.caps.genres;
  let picture = f;
  // an animation is shown by its first frame, models or not; a clip's is only for the models
  if (kind === "animated" || (kind === "clip" && models)) {
    picture = kind === "clip" ? await firstFrame($("query-video")) : await firstPictureFrame(f);
    if (picture) {
      state.frameUrl = URL.createObjectURL(picture);
      $("query").src = state.frameUrl;  // the face thumbnails and boxes are drawn from it
    } else if (kind === "animated") {
      $("query").src = state.objectUrl;  // moving, so without boxes
      $("query-play").hidden = true;
      $("boxes").hidden = true;
    }
    if (!picture && models) {
      notes.push(`This browser cannot show ${label}, so its characters and genres were not looked at `
        + "(its scene is still searched).");
    }
  }
  if (picture && models) {
    const [pictureName, pictureLabel] = picture === f ? [name, label] : ["first-frame.png", `the first frame of ${label}`];
    const upload = (path, render) => api(path, { method: "POST", body: form(picture, pictureName) })
      .then(render, explained(pictureLabel));
    if (state.caps.identify) jobs.push(upload("/identify?faces=true", renderFaces));
    if (state.caps.genres) jobs.push(upload("/genres", renderGenres));
  }
  const outcomes = await Promise.allSettled(jobs);
  const failed = outcomes.filter((o) => o.status === "rejected").map((o) => o.reason.message);
  const uniq = [...new Set(failed)];
  showError(uniq.concat(notes).join(" · "));
  const secs = ((performance.now() - started) / 1000).toFixed(2);
  setStatus(uniq.length ? "Failed" : `Done in ${secs} s`);
}

setupInput();
loadInfo();
