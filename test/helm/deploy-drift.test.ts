// deploy/ is generated from the chart (npm run deploy:generate): this fails when someone edits
// one without the other, so the plain manifests and `helm install` never drift apart.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHelm, REPO, type Helm } from './helm-tool.ts';
import { renderDeploy } from './render-deploy.ts';

describe('deploy/ is the chart rendered with its default values', () => {
  let helm: Helm;
  before(() => {
    helm = createHelm();
  });
  after(() => helm?.dispose());

  it('every deploy/ manifest equals `helm template` of the chart, and there is no other', async () => {
    const expected = await renderDeploy(helm);
    const dir = join(REPO, 'deploy');
    const present = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
    const hint = 'deploy/ and charts/gatehouse differ: change the chart, then run npm run deploy:generate';
    assert.deepEqual(present, [...expected.keys()], hint);
    for (const [name, text] of expected) assert.equal(readFileSync(join(dir, name), 'utf8'), text, `${name}: ${hint}`);
  });
});
