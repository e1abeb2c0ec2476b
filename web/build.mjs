// Builds the map into dist/ with fixed file names, so the Go server (web.Assets) can serve them:
//   index.html, app.js (+ app.js.map), app.css, maplibre-gl.css, maplibre-gl-worker.mjs
// Usage: node build.mjs   (npm run build)
import * as esbuild from 'esbuild';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');
const KEEP = new Set(['README.txt']); // committed placeholder so `go build` works before a build

const require = createRequire(import.meta.url);
const maplibreDist = dirname(require.resolve('maplibre-gl/package.json')) + '/dist';

async function clean() {
  await mkdir(dist, { recursive: true });
  for (const name of await readdir(dist)) {
    if (!KEEP.has(name)) await rm(join(dist, name), { recursive: true, force: true });
  }
}

async function main() {
  const t0 = Date.now();
  await clean();

  const js = await esbuild.build({
    entryPoints: { app: join(src, 'main.js') },
    outdir: dist,
    entryNames: '[name]',
    bundle: true,
    format: 'esm', // MapLibre 6 finds its worker through import.meta.url
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: true,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
  });

  await esbuild.build({
    entryPoints: { app: join(src, 'style.css') },
    outdir: dist,
    entryNames: '[name]',
    bundle: true,
    minify: true,
    logLevel: 'warning',
  });

  await copyFile(join(src, 'index.html'), join(dist, 'index.html'));
  await copyFile(join(maplibreDist, 'maplibre-gl.css'), join(dist, 'maplibre-gl.css'));
  // The worker is loaded by URL, next to app.js; drop its sourceMappingURL (map not shipped).
  const worker = await readFile(join(maplibreDist, 'maplibre-gl-worker.mjs'), 'utf8');
  await writeFile(join(dist, 'maplibre-gl-worker.mjs'), worker.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n'));

  const files = (await readdir(dist)).sort();
  const kb = (b) => `${(b / 1024).toFixed(0)} KB`;
  const appBytes = js.metafile.outputs['dist/app.js']?.bytes ?? Object.values(js.metafile.outputs).find((o) => o.entryPoint)?.bytes;
  console.log(`built ${files.join(', ')} in ${Date.now() - t0} ms${appBytes ? ` (app.js ${kb(appBytes)})` : ''}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
