// esbuild options shared by everything that runs in a shop's browser (the widget, the demo shop):
// one minified IIFE per entry, so internal state is scoped inside it and the only globals are
// the ones the code sets itself (window.klantreis).
export const browser = {
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome100", "firefox100", "safari15"],
  legalComments: "none",
  logLevel: "warning",
};

// The unit tests' bundles for node's test runner (web/.test-build): ES modules, packages left to
// node_modules.
export const nodeTests = {
  outExtension: { ".js": ".mjs" },
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  logLevel: "warning",
};
