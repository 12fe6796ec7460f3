/// <reference types="vitest/config" />
import { fileURLToPath, URL } from 'node:url'

import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

/** Flask's address during `make dev` (devserver's default port, DESIGN.md). */
const FLASK_URL = 'http://127.0.0.1:17802'

// https://vite.dev/config/
export default defineConfig({
  plugins: [vue()],
  resolve: {
    alias: {
      '@': fileURLToPath(new URL('./src', import.meta.url)),
    },
  },
  define: {
    // vue-i18n feature flags (https://vue-i18n.intlify.dev/guide/advanced/optimization):
    // messages are plain strings, no legacy API, no devtools in production.
    __VUE_I18N_FULL_INSTALL__: false,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  server: {
    proxy: {
      '/api': { target: FLASK_URL, changeOrigin: false },
    },
  },
  build: {
    target: 'es2022',
    // dist/.vite/manifest.json: scripts/bundle-size.mjs reads the entry's static imports from it.
    manifest: true,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/__tests__/*.spec.ts'],
    restoreMocks: true,
  },
})
