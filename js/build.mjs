// npm run build: js/src → jupyter_azure_ai/static/{chat.js,chat.css}.
// The output is deterministic (pinned versions, no timestamps): CI rebuilds and runs
// `git diff --exit-code jupyter_azure_ai/static/` to prove the shipped bundle matches js/.
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const version = (name) => JSON.parse(readFileSync(`node_modules/${name}/package.json`, "utf8")).version;
const banner = [
  "/* Generated from js/ by `npm run build` (jupyter-azure-ai); do not edit.",
  `   Bundles marked ${version("marked")} (MIT License, Copyright (c) 2018+ MarkedJS, 2011-2018 Christopher Jeffrey)`,
  `   and DOMPurify ${version("dompurify")} (Apache-2.0 or MPL-2.0, Cure53 and contributors). */`,
].join("\n");
const common = {
  bundle: true,
  minify: true,
  charset: "utf8",
  legalComments: "eof", // keep marked's and DOMPurify's licence notices
  banner: { js: banner, css: banner },
  logLevel: "info",
};

await build({
  ...common,
  entryPoints: ["src/chat.js"],
  outfile: "../jupyter_azure_ai/static/chat.js",
  format: "esm",
  target: "es2020",
});
await build({
  ...common,
  entryPoints: ["src/chat.css"],
  outfile: "../jupyter_azure_ai/static/chat.css",
});
