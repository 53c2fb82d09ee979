// Builds the widget with esbuild: web/dist/klantreis.js (the tracker) and
// web/dist/klantreis-chat.js (chat + survey, loaded lazily). With --tests it also bundles
// test/*.test.ts for node's test runner into web/.test-build/.
import { build } from "esbuild";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { browser, nodeTests } from "../esbuild-browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const web = dirname(here);


// The output is one IIFE that needs no "use strict" prologue (the code is written strict-safe):
// bytes the tracker's budget counts.
const widget = { ...browser, tsconfigRaw: { compilerOptions: { alwaysStrict: false } } };

await Promise.all([
  build({ ...widget, entryPoints: [join(here, "src/tracker.ts")], outfile: join(web, "dist/klantreis.js") }),
  build({ ...widget, entryPoints: [join(here, "src/chat/chat.ts")], outfile: join(web, "dist/klantreis-chat.js") }),
]);

if (process.argv.includes("--tests")) {
  const tests = readdirSync(join(here, "test")).filter((name) => name.endsWith(".test.ts"));
  await build({
    entryPoints: tests.map((name) => join(here, "test", name)),
    outdir: join(web, ".test-build"),
    ...nodeTests,
  });
}
