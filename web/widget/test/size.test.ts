/** The size budget, on the built files (`make web` builds them; `make webtest` builds first):
 * the tracker every page loads ≤ 4 KB gzipped, the lazily loaded chat and survey ≤ 8 KB. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { it } from "node:test";
import { gzipSync } from "node:zlib";

const BUDGETS: [file: string, bytes: number][] = [
  ["klantreis.js", 4 * 1024],
  ["klantreis-chat.js", 8 * 1024],
];

for (const [file, budget] of BUDGETS) {
  it(`${file} is at most ${budget} bytes gzipped`, (context) => {
    const built = readFileSync(new URL(`../dist/${file}`, import.meta.url));
    const gzipped = gzipSync(built, { level: 9 }).length;
    context.diagnostic(`${file}: ${built.length} bytes, ${gzipped} bytes gzipped`);
    assert.ok(gzipped <= budget, `${file}: ${gzipped} bytes gzipped, budget ${budget}`);
  });
}

it("the built files use neither eval nor Function nor inline styles (strict CSP)", () => {
  for (const [file] of BUDGETS) {
    const code = readFileSync(new URL(`../dist/${file}`, import.meta.url), "utf8");
    assert.doesNotMatch(code, /\beval\(|new Function\(|innerHTML|setAttribute\("style"|createElement\("style"\)/, file);
  }
});
