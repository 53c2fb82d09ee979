// Builds the agents' and operators' console with esbuild into web/dist/console/: console.js (one
// minified IIFE: Preact, uPlot and the pages), console.css (the console's and uPlot's styles) and
// index.html. With --tests it also bundles test/*.test.ts(x) for node's test runner into
// web/.test-build/console/.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { browser, nodeTests } from "../esbuild-browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const web = dirname(here);
const out = join(web, "dist", "console");
const jsx = { jsx: "automatic", jsxImportSource: "preact" };

mkdirSync(out, { recursive: true });
await build({
  ...browser,
  ...jsx,
  entryPoints: { console: join(here, "src/main.tsx") },
  outdir: out,
  loader: { ".css": "css" },
});
for (const name of ["index.html", "icon.svg"]) copyFileSync(join(here, "public", name), join(out, name));

if (process.argv.includes("--tests")) {
  const tests = readdirSync(join(here, "test")).filter((name) => /\.test\.tsx?$/.test(name));
  await build({
    ...jsx,
    entryPoints: tests.map((name) => join(here, "test", name)),
    outdir: join(web, ".test-build", "console"),
    ...nodeTests,
  });
}
