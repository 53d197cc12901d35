/**
 * Builds the web console: one ES module bundle (preact + htm + the shared
 * domain code it shows: terms in words, their diff), one stylesheet and an
 * icon, each named by a hash of its content, and the index.html that loads
 * them. The API serves these files at /console (functions/api/get-console.ts).
 *
 * - Locally (`npm start`, tests) the API server builds them in memory on the
 *   first request for the console (local/api-server.ts).
 * - On AWS, CDK bundling runs this file after bundling the console's
 *   functions and writes the files into their assets (infra/constructs/api.ts).
 *
 *   npm run build:console -- [--out DIR]     (default DIR: cdk.out/console)
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Where the console's files are served from, below the API's root. */
export const CONSOLE_ASSETS_PATH = '/console/assets/';

/** The console's files by path relative to the console's root: `index.html` and `assets/<name>-<hash>.<ext>`. */
export type ConsoleFiles = Map<string, Uint8Array>;

/**
 * What the browser does not get. The console bundles shared domain modules
 * (terms in words, their diff, the schemas of the API's answers); the
 * functions it calls need none of these, so each resolves to a stand-in:
 *
 * - Node built-ins (`node:crypto` for hashes and ids, `node:url`): an empty
 *   module. The console hashes terms with WebCrypto.
 * - shared/domains.ts (the Public Suffix List and the free-mail lists, some
 *   400 kB, for sign-up): a `registrableDomain` that throws.
 * - zod's translations of its own messages into 40-odd languages (260 kB):
 *   English only. The console shows the API's messages.
 *
 * Calling into a stand-in fails loudly, and the browser tests fail on any error.
 */
const leaveOutOfTheBrowser: Plugin = {
  name: 'leave-out-of-the-browser',
  setup(plugin) {
    plugin.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'left-out' }));
    plugin.onResolve({ filter: /\/domains\.ts$/ }, (args) =>
      resolve(args.resolveDir, args.path) === join(HERE, '..', 'shared', 'domains.ts') ? { path: 'shared/domains.ts', namespace: 'left-out' } : undefined,
    );
    plugin.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic[\\/]external|core[\\/]index)\.js$/.test(args.importer) ? { path: join(args.resolveDir, '..', 'locales', 'en.js'), namespace: 'zod-english' } : undefined,
    );
    plugin.onLoad({ filter: /.*/, namespace: 'zod-english' }, (args) => ({ contents: `export { default as en } from ${JSON.stringify(args.path)};`, loader: 'js', resolveDir: HERE }));
    plugin.onLoad({ filter: /^shared\/domains\.ts$/, namespace: 'left-out' }, () => ({
      contents: "export function registrableDomain() { throw new Error('registrableDomain is left out of the console'); }",
      loader: 'js',
    }));
    plugin.onLoad({ filter: /^node:/, namespace: 'left-out' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

function hashed(name: string, contents: Uint8Array): string {
  const hash = createHash('sha256').update(contents).digest('hex').slice(0, 12);
  return `${basename(name, extname(name))}-${hash}${extname(name)}`;
}

function indexHtml(script: string, style: string, icon: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Accord console</title>
<link rel="icon" href="${CONSOLE_ASSETS_PATH}${icon}" type="image/svg+xml">
<link rel="stylesheet" href="${CONSOLE_ASSETS_PATH}${style}">
<script type="module" src="${CONSOLE_ASSETS_PATH}${script}"></script>
</head>
<body>
<div id="app"><p>Loading the Accord console…</p></div>
<noscript><p>The Accord console needs JavaScript.</p></noscript>
</body>
</html>
`;
}

/** Builds the console in memory (esbuild, about a tenth of a second). */
export async function buildConsole(options: { minify?: boolean } = {}): Promise<ConsoleFiles> {
  const result = await build({
    entryPoints: { app: join(HERE, 'src', 'main.ts'), style: join(HERE, 'style.css') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome111', 'firefox111', 'safari16'],
    minify: options.minify ?? true,
    sourcemap: false,
    legalComments: 'none',
    write: false,
    outdir: 'out',
    logLevel: 'silent',
    plugins: [leaveOutOfTheBrowser],
    metafile: true,
  });
  if (process.env.ACCORD_CONSOLE_METAFILE) await writeFile(process.env.ACCORD_CONSOLE_METAFILE, JSON.stringify(result.metafile));
  const script = result.outputFiles.find((file) => file.path.endsWith('.js'));
  const style = result.outputFiles.find((file) => file.path.endsWith('.css'));
  if (!script || !style) throw new Error('the console build produced no script or no stylesheet');
  const icon = new Uint8Array(await readFile(join(HERE, 'icon.svg')));
  const names = { script: hashed('app.js', script.contents), style: hashed('app.css', style.contents), icon: hashed('icon.svg', icon) };
  return new Map<string, Uint8Array>([
    ['index.html', new TextEncoder().encode(indexHtml(names.script, names.style, names.icon))],
    [`assets/${names.script}`, script.contents],
    [`assets/${names.style}`, style.contents],
    [`assets/${names.icon}`, icon],
  ]);
}

/** Builds the console and writes its files under `outDir` (emptied first). */
export async function writeConsole(outDir: string): Promise<ConsoleFiles> {
  const files = await buildConsole();
  await rm(outDir, { recursive: true, force: true });
  for (const [path, contents] of files) {
    await mkdir(dirname(join(outDir, path)), { recursive: true });
    await writeFile(join(outDir, path), contents);
  }
  return files;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' } }, strict: true });
  const outDir = resolve(values.out ?? join(HERE, '..', 'cdk.out', 'console'));
  const files = await writeConsole(outDir);
  for (const [path, contents] of files) console.log(`${join(outDir, path)}  ${contents.byteLength} bytes`);
}
