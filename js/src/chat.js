// @ts-check
/**
 * The chat panel's front end (anywidget). Protocol and traits: jupyter_azure_ai/jupyter/widget.py.
 *
 * - traits: `transcript` (final turns), `status`, `busy`, `model`: what a reload shows;
 * - custom messages from the kernel: `delta` (append to the answer being written), `tool`,
 *   `done`; to the kernel: `ask`, `stop`, `new`.
 * - images pasted or dropped into the panel wait next to the message box and travel with
 *   `ask` as binary buffers (one per image), never as a trait; the transcript shows only the
 *   small thumbnails the kernel made (data URLs checked by `thumbnailSrc`).
 *
 * Model output is untrusted: Markdown goes through marked, then DOMPurify, into a
 * DocumentFragment; no string of HTML from the model reaches the DOM unsanitised.
 */
import DOMPurify from "dompurify";
import { Marked } from "marked";

const markdown = new Marked({ gfm: true, async: false });

const PURIFY = {
  RETURN_DOM_FRAGMENT: true,
  // no page-wide styling, no forms: an answer must not restyle JupyterLab or ask for input
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select"],
  FORBID_ATTR: ["style"],
};

/**
 * Untrusted Markdown → a sanitised fragment: remote images are not loaded (a URL can
 * carry data out), links open in a new tab, code blocks get a copy button.
 * @param {string} text
 * @returns {DocumentFragment}
 */
export function renderMarkdown(text) {
  const html = /** @type {string} */ (markdown.parse(text));
  const fragment = /** @type {DocumentFragment} */ (
    /** @type {unknown} */ (DOMPurify.sanitize(html, PURIFY))
  );
  for (const img of fragment.querySelectorAll("img")) {
    const src = img.getAttribute("src") || "";
    if (!src.startsWith("data:image/")) {
      const alt = img.getAttribute("alt") || src;
      img.replaceWith(h("span", { class: "jaa-blocked", title: "remote image not loaded" }, `[image: ${alt}]`));
    }
  }
  for (const a of fragment.querySelectorAll("a[href]")) {
    a.setAttribute("target", "_blank");
    a.setAttribute("rel", "noopener noreferrer");
  }
  for (const pre of fragment.querySelectorAll("pre")) {
    const box = h("div", { class: "jaa-code" });
    pre.replaceWith(box);
    box.append(pre, copyButton(pre));
  }
  return fragment;
}

/**
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {(Node | string)[]} children  strings become text nodes, never HTML
 */
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** @param {HTMLElement} pre */
function copyButton(pre) {
  const button = h("button", { type: "button", class: "jaa-copy", "aria-label": "Copy code" }, "Copy");
  button.addEventListener("click", async () => {
    const text = pre.textContent || "";
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      // no clipboard permission (e.g. plain http): select the code so Ctrl+C copies it
      getSelection()?.selectAllChildren(pre);
      button.textContent = "Selected";
    }
    setTimeout(() => (button.textContent = "Copy"), 1500);
  });
  return button;
}

/**
 * @typedef {{ name: string, input: string, result: string, is_error: boolean }} Tool
 * @typedef {{ src: string, alt: string }} Thumb
 * @typedef {{ role: "user" | "assistant", text: string, tools: Tool[], images?: Thumb[] }} Turn
 */

const MAX_IMAGES = 10; // Azure's limit per request (jupyter_azure_ai/images.py)
const MAX_IMAGE_BYTES = 20 * 1024 * 1024; // Azure's limit per image
const MAX_THUMB_CHARS = 24000; // images.MAX_THUMBNAIL_CHARS
const THUMB_URL = /^data:image\/(png|jpeg);base64,[A-Za-z0-9+/]+={0,2}$/;

/**
 * A thumbnail's src if it is one the kernel makes (a small PNG/JPEG data URL), else "".
 * @param {unknown} src
 */
export function thumbnailSrc(src) {
  return typeof src === "string" && src.length <= MAX_THUMB_CHARS && THUMB_URL.test(src) ? src : "";
}

/** @param {Thumb} thumb */
function thumbView(thumb) {
  const alt = String(thumb.alt || "image");
  const src = thumbnailSrc(thumb.src);
  if (!src) return h("span", { class: "jaa-thumb jaa-blocked" }, `[${alt}]`);
  return h("img", { class: "jaa-thumb", src, alt, title: alt });
}

/** @param {Tool} tool */
function toolEntry(tool) {
  const summary = `${tool.is_error ? "Tool error" : "Tool"}: ${tool.name}`;
  return h(
    "details",
    { class: tool.is_error ? "jaa-tool jaa-error" : "jaa-tool" },
    h("summary", {}, summary),
    h("div", { class: "jaa-label" }, "input"),
    h("pre", {}, tool.input),
    h("div", { class: "jaa-label" }, "result"),
    h("pre", {}, tool.result),
  );
}

/**
 * @param {Turn} turn
 * @param {boolean} [live]  the answer still being written
 */
function turnView(turn, live = false) {
  const who = turn.role === "user" ? "You" : "Assistant";
  const body = h("div", { class: "jaa-md" });
  if (turn.text) body.append(renderMarkdown(turn.text));
  else if (live) body.append(h("span", { class: "jaa-typing", "aria-label": "waiting for the answer" }, "…"));
  const article = h(
    "article",
    { class: `jaa-turn jaa-${turn.role}${live ? " jaa-live" : ""}`, "aria-label": `${who} said` },
    h("div", { class: "jaa-who", "aria-hidden": "true" }, who),
    ...(turn.tools || []).map(toolEntry),
    body,
  );
  if (turn.images && turn.images.length) {
    article.append(h("div", { class: "jaa-thumbs", "aria-label": "Images sent" }, ...turn.images.map(thumbView)));
  }
  return article;
}

/** @param {string} label @param {string} text @param {string} cls */
function button(label, text, cls) {
  return /** @type {HTMLButtonElement} */ (
    h("button", { type: "button", class: `jaa-button ${cls}`, "aria-label": label, title: label }, text)
  );
}

/** @param {{ model: any, el: HTMLElement }} view  anywidget's model and the output's element */
function render({ model, el }) {
  /** @type {Turn | null} the answer being written (deltas since the last `done`) */
  let live = null;
  let scheduled = false;
  let refocus = false;
  /** @type {{ file: File, url: string }[]} images waiting to go with the next message */
  let pending = [];

  const log = h("div", { class: "jaa-log", role: "log", "aria-live": "polite", "aria-label": "Conversation", tabindex: "0" });
  const status = h("div", { class: "jaa-status", role: "status", "aria-live": "polite" });
  const input = /** @type {HTMLTextAreaElement} */ (
    h("textarea", { class: "jaa-text", rows: "2", "aria-label": "Message", placeholder: "Ask… (Enter sends, Shift+Enter new line)" })
  );
  const send = button("Send message", "Send", "jaa-send jaa-primary");
  const stop = button("Stop the answer", "Stop", "jaa-stop");
  const fresh = button("New conversation", "New conversation", "jaa-new");
  const attachments = h("div", { class: "jaa-attachments", "aria-label": "Images to send" });
  const note = h("div", { class: "jaa-note", role: "alert" });
  const root = h(
    "section",
    // keys typed here are the panel's, not JupyterLab's (no "dd" deleting the cell)
    { class: "jaa-chat", "aria-label": "Azure OpenAI chat", "data-lm-suppress-shortcuts": "true" },
    log,
    attachments,
    note,
    h("div", { class: "jaa-compose" }, input, h("div", { class: "jaa-actions" }, send, stop, fresh)),
    status,
  );
  el.append(root);

  const nearBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  /** @param {boolean} follow */
  const scroll = (follow) => {
    if (follow) log.scrollTop = log.scrollHeight;
  };

  function drawAll() {
    const follow = nearBottom();
    /** @type {Turn[]} */
    const turns = model.get("transcript") || [];
    const last = turns[turns.length - 1];
    if (last && last.role === "assistant") live = null; // the final answer has landed
    const views = turns.map((t) => turnView(t));
    const waiting = model.get("busy") && last && last.role === "user";
    if (live || waiting) views.push(turnView(live || { role: "assistant", text: "", tools: [] }, true));
    if (!views.length) views.push(h("p", { class: "jaa-empty" }, "No messages yet: ask below."));
    log.replaceChildren(...views);
    scroll(follow);
  }

  function drawLive() {
    scheduled = false;
    if (!live) return;
    const follow = nearBottom();
    const old = log.querySelector(".jaa-live");
    const view = turnView(live, true);
    if (old) old.replaceWith(view);
    else log.append(view);
    scroll(follow);
  }

  function drawControls() {
    const busy = Boolean(model.get("busy"));
    input.disabled = busy;
    send.disabled = busy;
    fresh.disabled = busy;
    stop.disabled = !busy;
    log.setAttribute("aria-busy", String(busy));
    root.classList.toggle("jaa-busy", busy);
    if (!busy && refocus) {
      refocus = false; // back to the input, unless the user has moved on elsewhere
      const at = document.activeElement;
      if (!at || at === document.body || root.contains(at)) input.focus();
    }
  }

  function drawStatus() {
    const text = model.get("status") || `${model.get("model")} · ready`;
    status.textContent = text;
    status.classList.toggle("jaa-error", text.startsWith("✗"));
  }

  function drawAttachments() {
    attachments.replaceChildren(
      ...pending.map((item, i) => {
        const remove = button(`Remove image ${i + 1}`, "×", "jaa-remove");
        remove.addEventListener("click", () => {
          URL.revokeObjectURL(item.url);
          pending.splice(i, 1);
          drawAttachments();
        });
        const alt = `image ${i + 1} to send`;
        return h("span", { class: "jaa-attachment" }, h("img", { class: "jaa-thumb", src: item.url, alt }), remove);
      }),
    );
  }

  /** @param {Iterable<File>} files  pasted or dropped; only images are taken */
  function attach(files) {
    let taken = 0;
    note.textContent = "";
    for (const file of files) {
      if (!file.type.startsWith("image/")) continue;
      taken += 1;
      if (pending.length >= MAX_IMAGES) {
        note.textContent = `At most ${MAX_IMAGES} images per message.`;
      } else if (file.size > MAX_IMAGE_BYTES) {
        note.textContent = `${file.name || "The image"} is larger than 20 MB.`;
      } else {
        pending.push({ file, url: URL.createObjectURL(file) });
      }
    }
    drawAttachments();
    return taken;
  }

  async function ask() {
    const text = input.value.trim();
    if ((!text && !pending.length) || model.get("busy")) return;
    refocus = root.contains(document.activeElement);
    const images = pending;
    pending = [];
    input.value = "";
    const buffers = await Promise.all(images.map((item) => item.file.arrayBuffer()));
    model.send({ type: "ask", text, images: buffers.length }, undefined, buffers);
    for (const item of images) URL.revokeObjectURL(item.url);
    drawAttachments();
  }

  /** @param {any} msg */
  function onMessage(msg) {
    if (msg.type === "delta") {
      live = live || { role: "assistant", text: "", tools: [] };
      live.text += msg.text;
      if (!scheduled) {
        scheduled = true;
        requestAnimationFrame(drawLive);
      }
    } else if (msg.type === "tool") {
      live = live || { role: "assistant", text: "", tools: [] };
      live.tools.push({ name: msg.name, input: msg.input, result: msg.result, is_error: msg.is_error });
      drawLive();
    } else if (msg.type === "done") {
      live = null; // the transcript trait holds the final answer now
      drawAll();
    }
  }

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ask();
    }
  });
  root.addEventListener("keydown", (event) => {
    event.stopPropagation(); // (Notebook 7 and older Lumino: see data-lm-suppress-shortcuts)
    if (event.key === "Escape" && model.get("busy")) model.send({ type: "stop" });
  });
  send.addEventListener("click", ask);
  input.addEventListener("paste", (event) => {
    const files = Array.from(event.clipboardData?.items || [])
      .filter((item) => item.kind === "file")
      .map((item) => item.getAsFile())
      .filter((file) => file !== null);
    if (attach(/** @type {File[]} */ (files))) event.preventDefault(); // text pastes as usual
  });
  root.addEventListener("dragover", (event) => {
    if (event.dataTransfer?.types.includes("Files")) {
      event.preventDefault(); // allow the drop
      event.dataTransfer.dropEffect = "copy";
    }
  });
  root.addEventListener("drop", (event) => {
    if (!event.dataTransfer?.files.length) return;
    event.preventDefault(); // not JupyterLab's: the file is for this panel
    event.stopPropagation();
    attach(event.dataTransfer.files);
    input.focus();
  });
  stop.addEventListener("click", () => model.send({ type: "stop" }));
  fresh.addEventListener("click", () => {
    model.send({ type: "new" });
    input.focus();
  });

  const busyChanged = () => {
    drawControls();
    drawAll();
  };
  model.on("change:transcript", drawAll);
  model.on("change:busy", busyChanged);
  model.on("change:status", drawStatus);
  model.on("change:model", drawStatus);
  model.on("msg:custom", onMessage);
  drawAll();
  drawControls();
  drawStatus();

  return () => {
    for (const item of pending) URL.revokeObjectURL(item.url);
    model.off("change:transcript", drawAll);
    model.off("change:busy", busyChanged);
    model.off("change:status", drawStatus);
    model.off("change:model", drawStatus);
    model.off("msg:custom", onMessage);
  };
}

export default { render };
