import { defineConfig, type Plugin } from "vite";

/**
 * For `npm run dev:mock` only: loads the mock backend from tests/mock before
 * the app, so the UI runs in a plain browser with made-up data. The plugin
 * applies to the dev server alone, so `vite build` never includes the mock.
 */
function mockBackend(): Plugin {
  return {
    name: "dealwatch-mock-backend",
    apply: (_config, env) => env.command === "serve" && env.mode === "mock",
    transformIndexHtml: () => [
      {
        tag: "script",
        attrs: { type: "module", src: "/tests/mock/install.ts" },
        injectTo: "head-prepend",
      },
    ],
  };
}

// The built page must run under the app's Content Security Policy, which
// allows no inline script or style, so nothing may be inlined into index.html.
export default defineConfig({
  clearScreen: false,
  plugins: [mockBackend()],
  server: { host: "127.0.0.1", port: 1420, strictPort: true },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
