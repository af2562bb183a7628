/** The web console's files, built once if a test finds them missing (tap runs the sources, npm run build makes dist/). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_DIR } from '../../src/http/console-static.js';
import { PROJECT_ROOT } from '../../src/paths.js';

export function ensureConsoleBuilt(): void {
  if (existsSync(join(CONSOLE_DIR, 'index.html'))) return;
  const built = spawnSync('npm', ['run', '--silent', 'build:console'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`the console does not build:\n${built.stdout}${built.stderr}`);
}
