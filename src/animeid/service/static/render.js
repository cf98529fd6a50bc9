// animeid web page, part 1 of 2: drawing the answers (scenes, characters, genres). Plain JS, no
// build step; app.js (loaded after this file) reads the input and runs the searches.
"use strict";

const $ = (id) => document.getElementById(id);

// Rounded before it is split: rounding the seconds alone turned 59.97 into "0:60.0".
function clock(seconds) {
  const tenths = Math.round(Math.max(0, seconds) * 10);
  const h = Math.floor(tenths / 36000);
  const m = Math.floor((tenths % 36000) / 600);
  const sec = ((tenths % 600) / 10).toFixed(1).padStart(4, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

// the server's wording of sizes (body_limit.size_text), so both name a limit alike
function sizeText(n) {
  if (n < 1024) return `${n} bytes`;
  const [value, unit] = n >= 1048576 ? [n / 1048576, "MB"] : [n / 1024, "KB"];
  return `${value < 10 ? value.toFixed(1).replace(/\.0$/, "") : value.toFixed(0)} ${unit}`;
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
    // a video or an animated picture is searched as a clip: its answer is where it starts, and how many frames agree
    const agree = r.frames === 1 ? "1 frame agrees" : `${r.frames} frames agree`;
    const when = r.frames === undefined ? `${clock(r.at)}  (${clock(r.from)} – ${clock(r.to)})` : `starts ${clock(r.at)} · ${agree}`;
    card.querySelector(".meta").textContent = `${ep}${when}`;
    card.querySelector(".meta").title = r.file;
    const pct = Math.round(r.similarity * 1000) / 10;
    const bar = card.querySelector(".sim-bar span");
    bar.style.width = `${Math.max(2, Math.min(100, r.similarity * 100))}%`;
    const cls = similarityClass(r.similarity);
    if (cls) bar.classList.add(cls);
    card.querySelector(".sim-value").textContent = `${pct.toFixed(1)}%`;
    card.querySelector(".sim").title = "similarity of your image to this scene";
    // The preview's own controls already play and pause it: handling their click or key here too
    // undid it at once (the native click paused, this one played again).
    const fromPreview = (e) => e.target.closest("video") !== null;
    const play = () => playPreview(card, r);
    card.addEventListener("click", (e) => { if (!fromPreview(e)) play(); });
    card.addEventListener("keydown", (e) => {
      if (!fromPreview(e) && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); play(); }
    });
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
  video.setAttribute("aria-label", `scene of ${r.title} at ${clock(r.at)}`);
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

// The square around a region's centre, inside the picture: thumbnails are square, and a whole
// wide picture drawn into one came out squashed.
function squareAround(r, W, H) {
  const side = Math.min(Math.max(r.w, r.h), W, H);
  const clamp = (v, hi) => Math.min(Math.max(v, 0), hi);
  return { x: clamp(r.x + r.w / 2 - side / 2, W - side), y: clamp(r.y + r.h / 2 - side / 2, H - side), side };
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
  // the still the models looked at: the picture, or the first frame of a clip or an animation
  const img = $("query");
  const draw = () => {
    const W = img.naturalWidth || 1, H = img.naturalHeight || 1;
    faces.forEach((face, i) => {
      const b = boxOf(face);
      const all = candidatesOf(face);
      const known = all.length > 0 && all[0].label !== "unknown";
      const cands = all.filter((c) => c.label !== "unknown");
      const name = known ? cands[0].label : "unknown character";
      const li = document.createElement("li");
      const thumb = document.createElement("canvas");
      thumb.width = 96; thumb.height = 96;
      thumb.setAttribute("role", "img");
      thumb.setAttribute("aria-label", b ? `face ${i + 1}: ${name}` : `the whole picture: ${name}`);
      const sq = squareAround(b || { x: 0, y: 0, w: W, h: H }, W, H);
      thumb.getContext("2d").drawImage(img, sq.x, sq.y, sq.side, sq.side, 0, 0, 96, 96);
      const num = document.createElement("span");
      num.className = "num";
      num.textContent = String(i + 1);
      const text = document.createElement("div");
      const who = document.createElement("div");
      who.className = known ? "who" : "who unknown";
      who.textContent = name;
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
