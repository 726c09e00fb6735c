// Placeholder until js/ is built (npm run build writes the real bundle here).
function render({ model, el }) {
  const pre = document.createElement("pre");
  const draw = () => { pre.textContent = model.get("transcript").map((t) => `${t.role}: ${t.text}`).join("\n"); };
  model.on("change:transcript", draw);
  draw();
  el.appendChild(pre);
}
export default { render };
