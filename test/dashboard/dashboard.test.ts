// The dashboard in a real browser: Debian's headless Chromium driven by playwright-core, against the
// built CLI in manifest mode with real echo backends on 127.0.0.x. Everything is checked on the DOM
// (screenshots are taken for people, never compared): no console errors (CSP violations included),
// hosts/routes/endpoints rendered, live numbers moving under load, the search box explaining a URL,
// keyboard navigation, labels and contrast, and no horizontal overflow on a phone.
//
// GATEHOUSE_UPDATE_SCREENSHOTS=1 also writes docs/images/dashboard.png (the docs' screenshot);
// GATEHOUSE_KEEP_SCREENSHOTS=DIR keeps full-page desktop and phone screenshots there for a look.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { stringify } from 'yaml';
import { makeCa, makeLeaf } from '../support/certs.ts';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { httpRequest } from '../support/http-client.ts';
import { startGatehouseProcess, waitFor, type StartedGatehouse } from '../support/spawn-gatehouse.ts';

const CHROMIUM = '/usr/bin/chromium';
const DOCS_SCREENSHOT = fileURLToPath(new URL('../../docs/images/dashboard.png', import.meta.url));

function manifests(api: EchoBackend, web: EchoBackend, deadPort: number, cert: { certPem: string; keyPem: string }): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const path = (p: string, type: string, service: string, port: Record<string, unknown>): unknown => ({ path: p, pathType: type, backend: { service: { name: service, port } } });
  const objects: unknown[] = [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'shop', namespace: 'shop', annotations: { 'gatehouse.dev/hsts': 'true', 'gatehouse.dev/retires': '2' } },
      spec: {
        tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
        rules: [
          { host: 'shop.example.com', http: { paths: [path('/api', 'Prefix', 'api', { name: 'http' }), path('/', 'Prefix', 'web', { number: 80 })] } },
          { host: 'app.example.com', http: { paths: [path('/api', 'Prefix', 'api', { name: 'http' }), path('/status', 'Exact', 'status', { number: 80 }), path('/flaky', 'Prefix', 'flaky', { number: 80 })] } },
        ],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'tenants', namespace: 'shop' },
      spec: { rules: [{ host: '*.tenants.example.com', http: { paths: [path('/', 'Prefix', 'web', { number: 80 })] } }] },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'shop' }, spec: { ports: [{ name: 'http', port: 80 }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { ports: [{ port: 80 }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'status', namespace: 'shop' }, spec: { ports: [{ port: 80 }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'flaky', namespace: 'shop' }, spec: { ports: [{ port: 80 }] } },
    // Two pods on one port: web's, and one on 127.0.0.4 where nothing listens (passive health ejects it).
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'flaky-1', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'flaky' } },
      addressType: 'IPv4',
      ports: [{ port: deadPort }],
      endpoints: [{ addresses: ['127.0.0.4'], conditions: { ready: true } }],
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'flaky-2', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'flaky' } },
      addressType: 'IPv4',
      ports: [{ port: web.port }],
      endpoints: [{ addresses: [web.address], conditions: { ready: true } }],
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'api-1', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'api' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: api.port }],
      endpoints: [{ addresses: [api.address], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'api-0' } }],
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-1', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ port: web.port }],
      endpoints: [{ addresses: [web.address], conditions: { ready: true } }],
    },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shop-tls', namespace: 'shop' }, type: 'kubernetes.io/tls', data: { 'tls.crt': b64(cert.certPem), 'tls.key': b64(cert.keyPem) } },
  ];
  return objects.map((o) => stringify(o)).join('---\n');
}

const CONTRAST_SCRIPT = `(() => {
  const lum = (rgb) => {
    const [r, g, b] = (rgb.match(/\\d+(\\.\\d+)?/g) ?? ['0', '0', '0']).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const out = {};
  for (const sel of ['body', 'main .hint', 'main a', 'main .ok', 'main .warn', 'main .bad', 'main th']) {
    const el = document.querySelector(sel);
    if (el === null) continue;
    const fg = lum(getComputedStyle(el).color);
    const bg = lum(sel === 'main th' ? getComputedStyle(el).backgroundColor : 'rgb(255, 255, 255)');
    out[sel] = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
  }
  return out;
})()`;

interface World {
  gh: StartedGatehouse;
  deadPort: number;
  api: EchoBackend;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far (a CSP violation is a console error). */
  errors: string[];
  shots: string;
}

async function world(t: { after(fn: () => Promise<void> | void): void }): Promise<World> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)`);
  const dir = mkdtempSync(join(tmpdir(), 'gh-dashboard-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = makeCa();
  t.after(() => ca.dispose());
  const leaf = makeLeaf(ca, { names: ['shop.example.com'] });
  const api = await startEchoBackend({ address: '127.0.0.2', name: 'api' });
  const web = await startEchoBackend({ address: '127.0.0.3', name: 'web' });
  t.after(() => Promise.all([api.close(), web.close()]).then(() => undefined));
  // A port nothing listens on at 127.0.0.4: bound, then closed.
  const deadPort = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.4', () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
  writeFileSync(join(dir, 'shop.yaml'), manifests(api, web, deadPort, leaf));
  const gh = await startGatehouseProcess(['--manifests', dir]);
  t.after(async () => void (await gh.stop()));
  await waitFor('ready', async () => (await fetch(`${gh.adminUrl}/readyz`)).status === 200, 20_000);

  const profile = mkdtempSync(join(tmpdir(), 'gh-chromium-'));
  t.after(() => rmSync(profile, { recursive: true, force: true }));
  // A fresh profile per run (launchPersistentContext is how playwright takes --user-data-dir).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
  });
  t.after(() => context.close());
  context.setDefaultTimeout(20_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (m) => {
    // The one expected: the browser logs the 400 of the deliberately refused URL the test explains.
    const expected = m.text().includes('status of 400') && m.location().url.includes('/debug/explain?url=gopher');
    if (m.type() === 'error' && !expected) errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  const shots = join(dir, 'screenshots');
  mkdirSync(shots);
  return { gh, deadPort, api, context, page, errors, shots };
}

/**
 * Polls an expression in the page (bounded). Not page.waitForFunction: that evaluates its string
 * with eval inside the page, which the dashboard's CSP rightly refuses.
 */
function waitInPage(page: Page, what: string, expression: string): Promise<void> {
  return waitFor(what, async () => Boolean(await page.evaluate(expression)), 20_000, 100);
}

/** The port of the web pod, read from its row in the backends section. */
async function webPort(page: Page): Promise<string> {
  const address = await page.locator('#backend-shop-web-80 tbody td code').first().innerText();
  return address.slice(address.lastIndexOf(':') + 1);
}

/** Text of the first element matching `selector`. */
function text(page: Page, selector: string): Promise<string> {
  return page.locator(selector).first().innerText();
}

test('the dashboard in Chromium: rendered from a live Gatehouse, live numbers, search, keyboard, phone', async (t) => {
  const w = await world(t);
  const { page, gh } = w;

  // ---- loads under its CSP, renders hosts, routes, backends, endpoints, certificates, builds
  const response = await page.goto(gh.adminUrl + '/');
  assert.equal(response?.status(), 200);
  const csp = response?.headers()['content-security-policy'] ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  await page.locator('#hosts-body h3', { hasText: 'app.example.com' }).waitFor();
  assert.deepEqual(await page.locator('#hosts-body article.host h3').allInnerTexts(), ['*.tenants.example.com', 'app.example.com', 'shop.example.com']);
  const appRoutes = page.locator('#hosts-body article.host', { hasText: 'app.example.com' }).locator('tbody tr');
  assert.equal(await appRoutes.count(), 3);
  assert.match(await appRoutes.nth(0).innerText(), /\/status[\s\S]*Exact[\s\S]*shop\/status:80/);
  assert.match(await appRoutes.nth(1).innerText(), /\/api[\s\S]*Prefix[\s\S]*shop\/api:http/);
  const apiBackend = page.locator('#backend-shop-api-http');
  assert.match(await apiBackend.innerText(), new RegExp(`127\\.0\\.0\\.2:${w.api.port}[\\s\\S]*shop/api-0[\\s\\S]*ready`));
  assert.match(await apiBackend.innerText(), /1 of 1 ready/);
  await page.locator('[data-health] .ok', { hasText: 'healthy' }).first().waitFor();
  assert.match(await text(page, '#backend-shop-status-80'), /No endpoints: requests routed here get 503/);
  assert.match(await text(page, '#certificates-body'), /shop\/shop-tls[\s\S]*shop\.example\.com[\s\S]*expires in (29|30) days/);
  assert.match(await text(page, '#builds-body'), /applied[\s\S]*3 hosts, 6 routes, 4 backends, 4 endpoints, 0 errors, 1 warning/);
  await page.locator('#builds-body summary', { hasText: 'Added (6)' }).click();
  assert.match(await text(page, '#builds-body'), /app\.example\.com Exact \/status → shop\/status:80 \(shop\/shop\)/);
  // Diagnostics per object, each linking to its explanation, which is served locally.
  const diag = page.locator('#diag-ingress-shop-shop');
  assert.match(await diag.innerText(), /warning[\s\S]*AnnotationUnknown[\s\S]*gatehouse\.dev\/retires/);
  assert.equal(await diag.locator('a', { hasText: 'AnnotationUnknown' }).getAttribute('href'), '/dashboard/diagnostics#annotationunknown');
  assert.match(await text(page, '#sum-diagnostics'), /0 errors, 1 warning$/);

  // ---- live numbers move under a short load
  const requestsCell = page.locator(`[data-live="app.example.com|shop/shop#r1.p0|requests"]`);
  assert.equal(await requestsCell.innerText(), '0');
  // The rate covers the last 10 s: on a very loaded machine a page update can come later than that,
  // so load again (bounded) until one update shows both the count and a rate.
  let sent = 0;
  let rate = 0;
  for (let round = 0; round < 4 && rate === 0; round++) {
    for (let i = 0; i < 30; i++, sent++) {
      const r = await httpRequest(gh.ports.http, { host: 'app.example.com', path: `/api/item/${sent}` });
      assert.equal(r.status, 200);
    }
    await waitInPage(page, `the request count to reach ${sent}`, `Number(document.querySelector('[data-live="app.example.com|shop/shop#r1.p0|requests"]')?.textContent) >= ${sent}`);
    rate = Number(await page.locator('[data-live="app.example.com|shop/shop#r1.p0|ratePerSecond"]').innerText());
  }
  assert.ok(rate > 0, `rate ${rate}`);
  assert.match(await page.locator('[data-live="app.example.com|shop/shop#r1.p0|p50Ms"]').innerText(), /^\d+(\.\d)? ms$/);
  assert.ok(Number(await text(page, '#sum-rate')) > 0);
  // Passive health: requests to /flaky fail over from the dead pod; after 5 failures it is ejected.
  const dead = `shop/flaky:80|127.0.0.4:${w.deadPort}`;
  assert.equal(await page.locator(`[data-health="${dead}"]`).innerText(), 'healthy');
  for (let i = 0; i < 20; i++) assert.equal((await httpRequest(gh.ports.http, { host: 'app.example.com', path: '/flaky' })).status, 200);
  await page.locator(`[data-health="${dead}"] .bad`, { hasText: 'ejected' }).waitFor();
  assert.equal(await page.locator(`[data-health="shop/flaky:80|${'127.0.0.3'}:${await webPort(page)}"]`).innerText(), 'healthy');
  await page.screenshot({ path: join(w.shots, 'desktop.png'), fullPage: true });

  // ---- keyboard: Tab from the top reaches the skip link, then the search box; Enter explains
  await page.goto(gh.adminUrl + '/');
  await page.locator('#hosts-body h3', { hasText: 'app.example.com' }).waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Skip to content');
  let presses = 0;
  while ((await page.evaluate('document.activeElement?.id')) !== 'explain-url') {
    assert.ok(++presses < 20, 'the search box is reachable by Tab');
    await page.keyboard.press('Tab');
  }
  await page.keyboard.type('https://shop.example.com/api/v1/../cart');
  await page.keyboard.press('Enter');
  await page.locator('#explain-result .trace').waitFor();
  const trace = await text(page, '#explain-result');
  assert.match(trace, /Served by a backend/);
  assert.match(trace, /routed as \/api\/cart/);
  assert.match(trace, /exact host shop\.example\.com/);
  assert.match(trace, /match Prefix \/api \(shop\/shop#r0\.p0\): Prefix: elements \[api\] are a prefix of \[api, cart\]/);
  assert.match(trace, /proxied to shop\/api:http: its one eligible endpoint \(round-robin\)/);
  assert.equal(await page.evaluate('document.activeElement?.id'), 'explain-title', 'focus moves to the result');
  // A refused URL is said plainly.
  await page.locator('#explain-url').fill('gopher://x/');
  await page.locator('#explain-url').press('Enter');
  await page.locator('#explain-result [role="alert"]', { hasText: 'the URL scheme must be http or https' }).waitFor();
  // The live explanation knows the ejection too. An ejection lasts 5 s at first, which a loaded
  // machine can spend between two steps: fail the pod again before each try (bounded).
  let explained = '';
  for (let attempt = 0; attempt < 5 && !explained.includes('ejected by passive health'); attempt++) {
    for (let i = 0; i < 12; i++) await httpRequest(gh.ports.http, { host: 'app.example.com', path: '/flaky' });
    await page.locator('#explain-url').fill(`http://app.example.com/flaky?try=${attempt}`);
    await page.locator('#explain-url').press('Enter');
    await page.locator('#explain-result .trace', { hasText: `try=${attempt}` }).waitFor();
    explained = await text(page, '#explain-result');
  }
  assert.match(explained, /127\.0\.0\.4:\d+ ready, ejected — ejected by passive health/);
  assert.match(explained, /shop\/flaky:80: 1 of 2 endpoints eligible/);
  // Tab onwards to a route's Explain button; Enter explains that route.
  presses = 0;
  while ((await page.evaluate('document.activeElement?.dataset?.url')) === undefined) {
    assert.ok(++presses < 60, 'an Explain button is reachable by Tab');
    await page.keyboard.press('Tab');
  }
  const url = await page.evaluate('document.activeElement.dataset.url');
  assert.equal(url, 'http://any.tenants.example.com/');
  await page.keyboard.press('Enter');
  await page.locator('#explain-result .trace', { hasText: 'any.tenants.example.com → virtual host *.tenants.example.com (wildcard)' }).waitFor();
  assert.equal(await page.locator('#explain-url').inputValue(), 'http://any.tenants.example.com/');

  // ---- accessibility basics: every input labelled, readable contrast of text on white
  assert.equal(await page.evaluate('[...document.querySelectorAll("input")].filter((i) => i.labels === null || i.labels.length === 0).length'), 0);
  // WCAG contrast ratios of text colours against their background, computed in the page.
  const contrasts = (await page.evaluate(CONTRAST_SCRIPT)) as Record<string, number>;
  for (const [sel, ratio] of Object.entries(contrasts)) assert.ok(ratio >= 4.5, `${sel}: contrast ${ratio.toFixed(2)} < 4.5`);
  assert.equal(Object.keys(contrasts).length, 7);

  // ---- the diagnostics help, served locally, under the same CSP
  await page.goto(`${gh.adminUrl}/dashboard/diagnostics#annotationunknown`);
  assert.equal(await page.locator('h2#annotationunknown').innerText(), 'AnnotationUnknown');
  assert.match(await page.locator('section', { has: page.locator('h2#annotationunknown') }).innerText(), /Severity: warning/);

  // ---- a phone: no horizontal overflow, tables read as labelled cards
  await page.setViewportSize({ width: 375, height: 740 });
  await page.goto(gh.adminUrl + '/');
  await page.locator('#hosts-body h3', { hasText: 'app.example.com' }).waitFor();
  await page.locator('#explain-url').fill('http://app.example.com/status');
  await page.locator('#explain-url').press('Enter');
  await page.locator('#explain-result .trace', { hasText: '503 Service Unavailable' }).waitFor();
  const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than a 375px phone`);
  assert.equal(await page.evaluate(`getComputedStyle(document.querySelector('#hosts-body tbody td[data-label="Backend"]'), '::before').content`), '"Backend: "');
  await page.screenshot({ path: join(w.shots, 'phone.png'), fullPage: true });
  if (process.env['GATEHOUSE_KEEP_SCREENSHOTS'] !== undefined) {
    await page.screenshot({ path: join(process.env['GATEHOUSE_KEEP_SCREENSHOTS'], 'phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: join(process.env['GATEHOUSE_KEEP_SCREENSHOTS'], 'desktop.png'), fullPage: true });
    await page.setViewportSize({ width: 375, height: 740 });
  }

  if (process.env['GATEHOUSE_UPDATE_SCREENSHOTS'] === '1') {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(gh.adminUrl + '/');
    await page.locator('#hosts-body h3', { hasText: 'app.example.com' }).waitFor();
    for (let i = 0; i < 20; i++) await httpRequest(gh.ports.http, { host: 'app.example.com', path: '/api/x' });
    await waitInPage(page, 'a request rate', `Number(document.querySelector('#sum-rate')?.textContent) > 0`);
    mkdirSync(join(DOCS_SCREENSHOT, '..'), { recursive: true });
    await page.setViewportSize({ width: 1280, height: 1400 });
    await page.screenshot({ path: DOCS_SCREENSHOT, fullPage: false });
  }
  assert.deepEqual(w.errors, [], 'no console errors');

  // Gatehouse goes away: the page says so (and keeps retrying) instead of showing stale numbers as live.
  assert.equal(await text(page, '#status'), 'Ready');
  await gh.stop();
  await page.locator('#status', { hasText: 'Cannot reach Gatehouse' }).waitFor();
});
