/// The page served at `GET /`: drop images, type labels (one per line) and an optional template,
/// and see each image with its labels as bars. One self-contained document: no external assets,
/// no build step, works offline.
///
/// `/?demo=1&labels=a,b` draws a test image on a canvas and submits it through the same code
/// path as a dropped file; the browser test uses it (the finished page has `data-state="done"`).
enum WebPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>clipkit — zero-shot classification</title>
    <style>
      body { font: 15px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #222; }
      h1 { font-size: 1.4rem; }
      #drop { border: 2px dashed #889; border-radius: 8px; padding: 1.5rem; text-align: center; color: #556; cursor: pointer; }
      #drop.over { background: #eef; }
      .row { display: flex; gap: 1rem; margin: .8rem 0; flex-wrap: wrap; }
      textarea, input[type=text], input[type=password] { font: inherit; width: 100%; box-sizing: border-box; }
      label { display: block; flex: 1; min-width: 14rem; }
      button { font: inherit; padding: .4rem 1.2rem; }
      .card { display: flex; gap: 1rem; border-top: 1px solid #ddd; padding: .8rem 0; }
      .card img { width: 128px; height: 128px; object-fit: contain; background: #f4f4f4; }
      .bars { flex: 1; }
      .bar { display: flex; align-items: center; gap: .5rem; margin: .15rem 0; }
      .bar .name { width: 12rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .bar .track { flex: 1; background: #eee; height: 1rem; border-radius: 3px; }
      .bar .fill { background: #4a6fd1; height: 100%; border-radius: 3px; }
      .bar .value { width: 4rem; text-align: right; font-variant-numeric: tabular-nums; }
      .error { color: #b00; }
      #status { color: #556; min-height: 1.4em; }
    </style>
    </head>
    <body data-state="idle">
    <h1>clipkit — zero-shot image classification</h1>
    <div id="drop" tabindex="0">Drop images here or click to choose<input id="files" type="file" accept="image/*" multiple hidden></div>
    <div class="row">
      <label>Labels, one per line<textarea id="labels" rows="5">cat
    dog
    car</textarea></label>
      <label>Template (optional, {} is the label)<input id="template" type="text" placeholder="This is a photo of {}.">
        <br><br>API key (if the server needs one)<input id="key" type="password" autocomplete="off"></label>
    </div>
    <button id="go">Classify</button> <span id="status"></span>
    <div id="results"></div>
    <script>
    "use strict";
    const images = [];
    const $ = (id) => document.getElementById(id);
    function addDataURL(name, url) { images.push({ name, url }); $("status").textContent = images.length + " image(s) ready"; }
    function addFiles(files) {
      for (const file of files) {
        const reader = new FileReader();
        reader.onload = () => addDataURL(file.name, reader.result);
        reader.readAsDataURL(file);
      }
    }
    $("drop").onclick = () => $("files").click();
    $("files").onchange = (e) => addFiles(e.target.files);
    $("drop").ondragover = (e) => { e.preventDefault(); $("drop").classList.add("over"); };
    $("drop").ondragleave = () => $("drop").classList.remove("over");
    $("drop").ondrop = (e) => { e.preventDefault(); $("drop").classList.remove("over"); addFiles(e.dataTransfer.files); };
    function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
    function render(result, image) {
      const card = el("div", "card");
      const img = el("img"); img.src = image.url; img.alt = image.name; card.appendChild(img);
      const bars = el("div", "bars");
      bars.appendChild(el("strong", "", image.name));
      if (result.error) {
        bars.appendChild(el("div", "error", result.error.message));
      } else {
        for (const s of result.scores) {
          const bar = el("div", "bar"); bar.dataset.label = s.label;
          bar.appendChild(el("span", "name", s.label));
          const track = el("span", "track"); const fill = el("span", "fill");
          fill.style.display = "block"; fill.style.width = (100 * s.score).toFixed(1) + "%";
          track.appendChild(fill); bar.appendChild(track);
          bar.appendChild(el("span", "value", (100 * s.score).toFixed(1) + "%"));
          bars.appendChild(bar);
        }
      }
      card.appendChild(bars);
      $("results").appendChild(card);
    }
    async function classify() {
      const labels = $("labels").value.split("\n").map((s) => s.trim()).filter((s) => s.length > 0);
      if (images.length === 0) { $("status").textContent = "add an image first"; return; }
      const body = { images: images.map((i) => i.url), labels };
      const template = $("template").value.trim();
      if (template) body.template = template;
      const headers = { "Content-Type": "application/json" };
      if ($("key").value) headers["Authorization"] = "Bearer " + $("key").value;
      document.body.dataset.state = "busy";
      $("status").textContent = "classifying…";
      $("results").textContent = "";
      try {
        const response = await fetch("/v1/classify", { method: "POST", headers, body: JSON.stringify(body) });
        const answer = await response.json();
        if (!response.ok) throw new Error(answer.error ? answer.error.message : response.statusText);
        answer.results.forEach((r, i) => render(r, images[i]));
        $("status").textContent = "done in " + (response.headers.get("X-Inference-Time-Ms") || "?") + " ms of inference";
        document.body.dataset.state = "done";
      } catch (error) {
        $("status").textContent = "";
        $("results").appendChild(el("div", "error", String(error.message || error)));
        document.body.dataset.state = "error";
      }
    }
    $("go").onclick = classify;
    const params = new URLSearchParams(location.search);
    if (params.get("demo")) {
      const canvas = document.createElement("canvas"); canvas.width = 64; canvas.height = 64;
      const g = canvas.getContext("2d");
      g.fillStyle = "#d22"; g.fillRect(0, 0, 64, 64); g.fillStyle = "#22d"; g.fillRect(16, 16, 32, 32);
      if (params.get("labels")) $("labels").value = params.get("labels").split(",").join("\n");
      addDataURL("demo.png", canvas.toDataURL("image/png"));
      classify();
    }
    </script>
    </body>
    </html>
    """#
}
