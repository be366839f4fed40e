// `npm run deploy:generate`: rewrites deploy/ from the chart (see render-deploy.ts), removing
// manifest files the chart no longer renders.

import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHelm, REPO } from './helm-tool.ts';
import { renderDeploy } from './render-deploy.ts';

const helm = createHelm();
try {
  const files = await renderDeploy(helm);
  const dir = join(REPO, 'deploy');
  for (const name of readdirSync(dir)) {
    if (/\.ya?ml$/.test(name) && !files.has(name)) {
      rmSync(join(dir, name));
      process.stdout.write(`removed deploy/${name}\n`);
    }
  }
  for (const [name, text] of files) {
    writeFileSync(join(dir, name), text);
    process.stdout.write(`wrote deploy/${name}\n`);
  }
} finally {
  helm.dispose();
}
