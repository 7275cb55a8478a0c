// Bundles src/main.ts (with Chart.js) and src/style.css into the Python package's static/ dir,
// minified: server/llm_session_manager/frontends/web/static/app.{js,css} (docs/web.md).
// `node build.mjs` (`make web`); `node build.mjs --check` builds in memory and fails if the
// committed files differ from what the sources make.
import * as esbuild from 'esbuild';
import { readFileSync } from 'node:fs';

const out = '../server/llm_session_manager/frontends/web/static';
const check = process.argv.includes('--check');

const common = { bundle: true, minify: true, legalComments: 'none', logLevel: check ? 'silent' : 'info', write: !check };
const results = await Promise.all([
  esbuild.build({ ...common, entryPoints: ['src/main.ts'], outfile: `${out}/app.js`, format: 'iife', target: 'es2020' }),
  esbuild.build({ ...common, entryPoints: ['src/style.css'], outfile: `${out}/app.css` }),
]);

if (check) {
  let stale = false;
  for (const result of results) {
    for (const file of result.outputFiles) {
      if (Buffer.compare(Buffer.from(file.contents), readFileSync(file.path)) !== 0) {
        console.error(`${file.path} is not what the sources build: run make web and commit it`);
        stale = true;
      }
    }
  }
  process.exit(stale ? 1 : 0);
}
