// Runs the compiled tests (dist-test/) with Node's own test runner.
//   node test/run-tests.mjs all   unit tests (src/**/*.spec.ts) and e2e tests (test/**/*.e2e-spec.ts)
//   node test/run-tests.mjs e2e   e2e tests only (what CI repeats against MariaDB)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const mode = process.argv[2] ?? 'all';
const only = process.argv.slice(3);

function find(dir, suffix) {
  let found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found = found.concat(find(path, suffix));
    else if (entry.name.endsWith(suffix)) found.push(path);
  }
  return found;
}

let files = find('dist-test/test', '.e2e-spec.js');
if (mode === 'all') files = find('dist-test/src', '.spec.js').concat(files);
if (only.length > 0) files = files.filter((f) => only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// A test that hangs fails after five minutes instead of holding CI until its own limit.
const args = ['--enable-source-maps', '--test', '--test-timeout=300000', ...files.sort()];
const result = spawnSync(process.execPath, args, {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
