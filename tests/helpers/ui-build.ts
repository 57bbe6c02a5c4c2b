// The pages are served from the Vite build (dist/ui); a test that opens them rebuilds it when a page's
// source is newer than the build (e.g. when the file runs alone after an edit).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

export function ensureUiBuilt(): void {
  const built = join(root, 'dist/ui/admin.html');
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }, 0);
  const sources = ['control-ui/src', 'control-ui/meet.html', 'control-ui/admin.html', 'control-ui/index.html', 'control-ui/display.html'].map((p) => join(root, p));
  const srcTime = Math.max(...sources.filter(existsSync).map((p) => (statSync(p).isDirectory() ? newest(p) : statSync(p).mtimeMs)));
  if (existsSync(built) && statSync(built).mtimeMs >= srcTime) return;
  execFileSync('npx', ['vite', 'build', '--config', 'control-ui/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
}
