// Builds the demo shop's script with esbuild: web/demo/build/app.js (served at /demo/app.js).
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { browser } from "../esbuild-browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));

await build({ ...browser, entryPoints: [join(here, "src/app.ts")], outfile: join(here, "build/app.js") });
