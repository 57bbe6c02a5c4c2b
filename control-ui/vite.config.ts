// One Vite build, several entries (DESIGN.md §1): the touch panel at /, the room display at /display,
// the browser participant at /meet/:code and the technician pages at /admin.
// Build from the project root: npx vite build --config control-ui/vite.config.ts → dist/ui/
import path from 'node:path';
import { defineConfig, type Connect } from 'vite';
import vue from '@vitejs/plugin-vue';

const root = __dirname;
const page = (name: string) => path.resolve(root, `${name}.html`);

/** The appliance serves the pages at /, /display, /meet/:code and /admin; dev and preview do the same. */
const pageRoutes: Connect.NextHandleFunction = (req, _res, next) => {
  const url = req.url ?? '/';
  const [pathname, query = ''] = url.split('?');
  const q = query ? `?${query}` : '';
  if (pathname === '/display' || pathname === '/display/') req.url = `/display.html${q}`;
  else if (pathname === '/admin' || pathname === '/admin/') req.url = `/admin.html${q}`;
  else if (/^\/meet\/[^/.]+\/?$/.test(pathname)) req.url = `/meet.html${q}`;
  next();
};

const proxy = {
  '/api': { target: 'http://127.0.0.1:8080', ws: true },
  '/healthz': { target: 'http://127.0.0.1:8080' },
};

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  plugins: [
    vue(),
    {
      name: 'diemcau-page-routes',
      configureServer(server) {
        server.middlewares.use(pageRoutes);
      },
      configurePreviewServer(server) {
        server.middlewares.use(pageRoutes);
      },
    },
  ],
  build: {
    outDir: path.resolve(__dirname, '../dist/ui'),
    emptyOutDir: true,
    target: 'es2022',
    // The kiosk and supported browsers all know <link rel="modulepreload">.
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        index: page('index'),
        display: page('display'),
        meet: page('meet'),
        admin: page('admin'),
      },
      output: {
        // Readable shared chunks: the framework, and the code the apps share (i18n, api, connection).
        manualChunks(id) {
          if (id.includes('/node_modules/')) return 'vendor';
          if (id.includes('/control-ui/src/shared/') || id.includes('/appliance/')) return 'shared';
          return undefined;
        },
      },
    },
  },
  server: {
    host: '127.0.0.1',
    proxy,
    // ws-protocol.ts and roles.ts live in ../appliance and are imported by the apps.
    fs: { allow: [path.resolve(root, '..')] },
  },
  preview: { host: '127.0.0.1', proxy },
});
