// Gatehouse dashboard: reads the admin port's JSON views and renders them. Read-only; no framework.
// Every value from the server is inserted as text (textContent, setAttribute of fixed names), never
// as markup: hosts, paths and messages are written by tenants. The page is rebuilt only when a new
// route table was built; live numbers are updated in place, so keyboard focus is never lost.

const POLL_MS = 2000;
const $ = (id) => document.getElementById(id);

/** Builds an element: attributes (fixed names only), then children (strings become text nodes). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'onclick') el.addEventListener('click', v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function getJson(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  const body = await res.json().catch(() => ({}));
  return { status: res.status, body };
}

const fmtRate = (n) => (n === undefined || n === null ? '–' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const fmtMs = (n) => (n === undefined || n === null ? '–' : n >= 100 ? `${n.toFixed(0)} ms` : `${n.toFixed(1)} ms`);
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');

function table(caption, columns, rows) {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : undefined }, c.label)))),
    h('tbody', {}, rows),
  );
}

function cell(column, content, attrs = {}) {
  return h('td', { 'data-label': column.label, class: column.num ? 'num' : undefined, ...attrs }, content);
}

// ---------- state ----------
const state = { seq: undefined, table: undefined, diagnostics: [], diagnosticsText: '', tls: undefined, builds: [], traffic: undefined, tick: 0 };

// ---------- hosts and routes ----------
const ROUTE_COLUMNS = [
  { label: 'Path' },
  { label: 'Type' },
  { label: 'Backend' },
  { label: 'Ingress' },
  { label: 'Req/s', num: true, key: 'ratePerSecond' },
  { label: 'Errors/s', num: true, key: 'errorRatePerSecond' },
  { label: 'p50', num: true, key: 'p50Ms' },
  { label: 'p99', num: true, key: 'p99Ms' },
  { label: 'Requests', num: true, key: 'requests' },
  { label: 'Explain' },
];

function sampleHost(pattern) {
  if (pattern === '*') return 'example.test';
  if (pattern.startsWith('*.')) return `any.${pattern.slice(2)}`;
  return pattern;
}

function sampleUrl(vh, path) {
  const scheme = vh.tls && vh.tls.certificate ? 'https' : 'http';
  return `${scheme}://${sampleHost(vh.host)}${path}`;
}

function diagnosticsLink(objectKind, name) {
  const n = state.diagnostics.filter((d) => d.object.kind === objectKind && `${d.object.namespace}/${d.object.name}` === name).length;
  if (n === 0) return null;
  return h('a', { href: `#diag-${slug(`${objectKind}-${name}`)}`, class: 'warn' }, `${n} diagnostic${n === 1 ? '' : 's'}`);
}

// The cells /debug/traffic updates, by 'host|route|field' and 'backend|address:port': filled when the
// tables are rendered, so a poll is a map lookup per number, whatever the size of the table.
const liveIndex = { routes: new Map(), health: new Map(), inFlight: new Map() };

function liveCells(key, row) {
  for (const c of ROUTE_COLUMNS) {
    if (!c.key) continue;
    const td = cell(c, '–', { 'data-live': `${key}|${c.key}` });
    liveIndex.routes.set(`${key}|${c.key}`, td);
    row.append(td);
  }
}

function renderHosts() {
  liveIndex.routes.clear();
  const t = state.table;
  const body = $('hosts-body');
  if (!t) {
    body.replaceChildren(h('p', {}, 'No route table applied yet.'));
    return;
  }
  if (t.virtualHosts.length === 0 && !t.defaultBackend) {
    body.replaceChildren(h('p', {}, 'No hosts: no Ingress of this controller has rules yet.'));
    return;
  }
  const blocks = t.virtualHosts.map((vh) => {
    const kind = vh.host === '*' ? 'every host (rules without a host)' : vh.host.startsWith('*.') ? 'wildcard: one label' : 'exact host';
    const badges = [h('li', { class: 'badge' }, kind)];
    if (vh.tls) {
      const cert = vh.tls.certificate ? t.certificates[vh.tls.certificate] : undefined;
      badges.push(h('li', { class: 'badge' }, vh.tls.certificate ? `TLS ${vh.tls.certificate}${cert && cert.notAfter ? `, ${expiryText(cert.notAfter)}` : ''}` : 'TLS, default certificate'));
    }
    const ingresses = [...new Set([...vh.routes.map((r) => r.ingress), ...(vh.defaultBackend ? [vh.defaultBackend.ingress] : [])])];
    for (const ing of ingresses) {
      const link = diagnosticsLink('Ingress', ing);
      if (link) badges.push(h('li', { class: 'badge' }, `Ingress ${ing}: `, link));
    }
    const rows = vh.routes.map((r) => {
      const row = h('tr', {});
      row.append(
        cell(ROUTE_COLUMNS[0], h('code', {}, r.path)),
        cell(ROUTE_COLUMNS[1], r.pathType),
        cell(ROUTE_COLUMNS[2], h('a', { href: `#backend-${slug(r.backend)}` }, r.backend)),
        cell(ROUTE_COLUMNS[3], r.ingress),
      );
      liveCells(`${vh.host}|${r.id}`, row);
      const url = sampleUrl(vh, r.path);
      row.append(cell(ROUTE_COLUMNS[9], h('button', { type: 'button', class: 'link', 'aria-label': `Explain ${url}`, 'data-url': url, onclick: () => explain(url) }, 'Explain')));
      return row;
    });
    if (vh.defaultBackend) {
      const d = vh.defaultBackend;
      const row = h('tr', {});
      row.append(cell(ROUTE_COLUMNS[0], h('em', {}, 'no path matches')), cell(ROUTE_COLUMNS[1], 'default'), cell(ROUTE_COLUMNS[2], h('a', { href: `#backend-${slug(d.backend)}` }, d.backend)), cell(ROUTE_COLUMNS[3], d.ingress));
      liveCells(`${vh.host}|default:${d.ingress}`, row);
      row.append(cell(ROUTE_COLUMNS[9], ''));
      rows.push(row);
    }
    return h('article', { class: 'host', 'aria-labelledby': `host-${slug(vh.host)}` }, h('h3', { id: `host-${slug(vh.host)}` }, vh.host), h('ul', { class: 'badges' }, badges), table(`Routes of ${vh.host}, most specific first`, ROUTE_COLUMNS, rows));
  });
  if (t.defaultBackend) {
    const d = t.defaultBackend;
    const row = h('tr', {});
    row.append(cell(ROUTE_COLUMNS[0], h('em', {}, 'any other request')), cell(ROUTE_COLUMNS[1], 'catch-all'), cell(ROUTE_COLUMNS[2], h('a', { href: `#backend-${slug(d.backend)}` }, d.backend)), cell(ROUTE_COLUMNS[3], d.ingress ?? '--default-backend'));
    liveCells(`|${d.ingress ? `default:${d.ingress}` : 'default'}`, row);
    row.append(cell(ROUTE_COLUMNS[9], ''));
    blocks.push(h('article', { class: 'host', 'aria-labelledby': 'host-catch-all' }, h('h3', { id: 'host-catch-all' }, 'Catch-all default backend'), table('Requests that match no host', ROUTE_COLUMNS, [row])));
  }
  body.replaceChildren(...blocks);
}

// ---------- backends and endpoints ----------
const EP_COLUMNS = [{ label: 'Endpoint' }, { label: 'Pod' }, { label: 'State' }, { label: 'Health' }, { label: 'In flight', num: true }];

function renderBackends() {
  liveIndex.health.clear();
  liveIndex.inFlight.clear();
  const t = state.table;
  const body = $('backends-body');
  if (!t) return body.replaceChildren(h('p', {}, 'No route table applied yet.'));
  const ids = Object.keys(t.backends).sort();
  if (ids.length === 0) return body.replaceChildren(h('p', {}, 'No backends.'));
  body.replaceChildren(
    ...ids.map((id) => {
      const b = t.backends[id];
      const ready = b.endpoints.filter((e) => e.ready).length;
      const rows = b.endpoints.map((e) => {
        const address = e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
        const stateText = e.ready ? 'ready' : e.terminating ? 'terminating' : e.serving ? 'serving (not ready)' : 'not ready';
        return h(
          'tr',
          {},
          cell(EP_COLUMNS[0], h('code', {}, address)),
          cell(EP_COLUMNS[1], e.targetRef ?? '–'),
          cell(EP_COLUMNS[2], h('span', { class: e.ready ? 'ok' : 'warn' }, stateText)),
          indexed(liveIndex.health, `${id}|${e.address}:${e.port}`, cell(EP_COLUMNS[3], '–', { 'data-health': `${id}|${e.address}:${e.port}` })),
          indexed(liveIndex.inFlight, `${id}|${e.address}:${e.port}`, cell(EP_COLUMNS[4], '–', { 'data-inflight': `${id}|${e.address}:${e.port}` })),
        );
      });
      const svcLink = diagnosticsLink('Service', `${b.namespace}/${b.service}`);
      return h(
        'article',
        { class: 'host', id: `backend-${slug(id)}`, 'aria-labelledby': `backend-title-${slug(id)}` },
        h('h3', { id: `backend-title-${slug(id)}` }, id),
        h('ul', { class: 'badges' }, h('li', { class: 'badge' }, `Service ${b.namespace}/${b.service} port ${b.servicePort}`), h('li', { class: `badge ${ready > 0 ? 'ok' : 'bad'}` }, `${ready} of ${b.endpoints.length} ready`), b.sessionAffinity === 'ClientIP' ? h('li', { class: 'badge' }, 'sessionAffinity ClientIP') : null, svcLink ? h('li', { class: 'badge' }, svcLink) : null),
        b.endpoints.length === 0 ? h('p', { class: 'bad' }, 'No endpoints: requests routed here get 503.') : table(`Endpoints of ${id}`, EP_COLUMNS, rows),
      );
    }),
  );
}

function indexed(map, key, el) {
  map.set(key, el);
  return el;
}

// ---------- diagnostics ----------
function renderDiagnostics() {
  const body = $('diagnostics-body');
  const all = state.diagnostics;
  if (all.length === 0) return body.replaceChildren(h('p', { class: 'ok' }, 'No diagnostics: everything read was understood and is served.'));
  const groups = new Map();
  for (const d of all) {
    const key = `${d.object.kind} ${d.object.namespace ? `${d.object.namespace}/` : ''}${d.object.name}`;
    if (!groups.has(key)) groups.set(key, { d, items: [] });
    groups.get(key).items.push(d);
  }
  const cols = [{ label: 'Severity' }, { label: 'Code' }, { label: 'Field' }, { label: 'Message' }];
  body.replaceChildren(
    ...[...groups.entries()].map(([key, g]) => {
      const id = `diag-${slug(`${g.d.object.kind}-${g.d.object.namespace}/${g.d.object.name}`)}`;
      const rows = g.items.map((d) =>
        h(
          'tr',
          {},
          cell(cols[0], h('span', { class: `sev-${d.severity}` }, d.severity)),
          cell(cols[1], h('a', { href: `/dashboard/diagnostics#${d.code.toLowerCase()}`, title: `What ${d.code} means and how to fix it` }, d.code)),
          cell(cols[2], d.field ? h('code', {}, d.field) : '–'),
          cell(cols[3], d.message),
        ),
      );
      return h('article', { class: 'host', id, 'aria-labelledby': `${id}-title` }, h('h3', { id: `${id}-title` }, key), table(`Diagnostics of ${key}`, cols, rows));
    }),
  );
}

// ---------- certificates ----------
function expiryText(notAfter) {
  const ms = Date.parse(notAfter) - Date.now();
  if (Number.isNaN(ms)) return 'expiry unknown';
  const days = Math.floor(Math.abs(ms) / 86_400_000);
  return ms < 0 ? `expired ${days} day${days === 1 ? '' : 's'} ago` : `expires in ${days} day${days === 1 ? '' : 's'}`;
}

function expiryClass(notAfter) {
  const ms = Date.parse(notAfter) - Date.now();
  return ms < 0 ? 'bad' : ms < 14 * 86_400_000 ? 'warn' : 'ok';
}

function renderCertificates() {
  const body = $('certificates-body');
  const t = state.table;
  const cols = [{ label: 'Certificate' }, { label: 'Names' }, { label: 'Hosts' }, { label: 'Key' }, { label: 'Expires' }];
  const rows = [];
  if (t) {
    for (const id of Object.keys(t.certificates).sort()) {
      const c = t.certificates[id];
      const hosts = t.sni.filter((s) => s.certificate === id).map((s) => s.host);
      rows.push(
        h(
          'tr',
          {},
          cell(cols[0], h('code', {}, id)),
          cell(cols[1], c.dnsNames.join(', ') || '–'),
          cell(cols[2], hosts.join(', ') || '–'),
          cell(cols[3], c.keyType ?? '–'),
          cell(cols[4], c.notAfter ? h('span', { class: expiryClass(c.notAfter) }, `${c.notAfter.slice(0, 10)} (${expiryText(c.notAfter)})`) : '–'),
        ),
      );
    }
  }
  const dc = state.tls && state.tls.defaultCertificate;
  if (dc) {
    rows.push(
      h(
        'tr',
        {},
        cell(cols[0], h('code', {}, dc.id ?? 'default')),
        cell(cols[1], `default certificate (${dc.source ?? 'self-signed'})`),
        cell(cols[2], 'clients without a known server name'),
        cell(cols[3], dc.keyType ?? '–'),
        cell(cols[4], dc.notAfter ? h('span', { class: expiryClass(dc.notAfter) }, `${dc.notAfter.slice(0, 10)} (${expiryText(dc.notAfter)})`) : '–'),
      ),
    );
  }
  body.replaceChildren(rows.length === 0 ? h('p', {}, 'No certificates.') : table('Certificates served, by Secret', cols, rows));
}

// ---------- builds ----------
function renderBuilds() {
  const body = $('builds-body');
  if (state.builds.length === 0) return body.replaceChildren(h('p', {}, 'No build yet.'));
  const cols = [{ label: 'When' }, { label: 'Outcome' }, { label: 'Took', num: true }, { label: 'Table' }, { label: 'What changed' }];
  const rows = state.builds.map((b) => {
    const c = b.changes;
    const list = (title, items) => (items && items.length > 0 ? h('details', {}, h('summary', {}, `${title} (${items.length})`), h('ul', { class: 'plain' }, items.map((i) => h('li', {}, h('code', {}, i))))) : null);
    const changed = c ? [list('Added', c.added), list('Removed', c.removed), list('Changed', c.changed), list('Endpoints changed', c.endpointsChanged)].filter(Boolean) : [];
    const counts = b.counts;
    return h(
      'tr',
      {},
      cell(cols[0], h('time', { datetime: b.at }, new Date(b.at).toLocaleString())),
      cell(cols[1], h('span', { class: b.outcome === 'applied' ? 'ok' : 'bad' }, b.outcome === 'applied' ? 'applied' : `failed: ${b.error ?? ''}`)),
      cell(cols[2], `${b.durationMs} ms`),
      cell(cols[3], counts ? [plural(counts.virtualHosts, 'host'), plural(counts.routes, 'route'), plural(counts.backends, 'backend'), plural(counts.endpoints, 'endpoint'), plural(counts.errors, 'error'), plural(counts.warnings, 'warning')].join(', ') : '–'),
      cell(cols[4], changed.length > 0 ? changed : c ? 'nothing in the routes' : '–', {}),
    );
  });
  body.replaceChildren(table('The last builds, newest first', cols, rows));
}

// ---------- live numbers ----------
function applyTraffic() {
  const tr = state.traffic;
  if (!tr) return;
  let rate = 0;
  let errors = 0;
  for (const r of tr.routes) {
    rate += r.ratePerSecond;
    errors += r.errorRatePerSecond;
    const key = `${r.host}|${r.route}`;
    for (const c of ROUTE_COLUMNS) {
      if (!c.key) continue;
      const el = liveIndex.routes.get(`${key}|${c.key}`);
      if (!el) continue;
      const v = r[c.key];
      el.textContent = c.key === 'requests' ? String(v) : c.key.endsWith('Ms') ? fmtMs(v) : fmtRate(v);
      if (c.key === 'errorRatePerSecond') el.className = v > 0 ? 'num bad' : 'num';
    }
  }
  $('sum-rate').textContent = fmtRate(rate);
  $('sum-errors').textContent = fmtRate(errors);
  $('sum-errors').className = errors > 0 ? 'bad' : '';
  for (const e of tr.endpoints) {
    const key = `${e.backend}|${e.address}`;
    const health = liveIndex.health.get(key);
    if (health) {
      const text = e.ejected ? 'ejected' : 'healthy';
      if (health.textContent !== text) health.replaceChildren(h('span', { class: e.ejected ? 'bad' : 'ok' }, text));
    }
    const inflight = liveIndex.inFlight.get(key);
    if (inflight) inflight.textContent = String(e.inFlight);
  }
}

function renderSummary() {
  const t = state.table;
  if (t) {
    $('sum-hosts').textContent = String(t.virtualHosts.length);
    $('sum-routes').textContent = String(t.virtualHosts.reduce((n, v) => n + v.routes.length, 0));
    const eps = Object.values(t.backends).flatMap((b) => b.endpoints);
    $('sum-endpoints').textContent = `${eps.filter((e) => e.ready).length} / ${eps.length}`;
  }
  const errors = state.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = state.diagnostics.filter((d) => d.severity === 'warning').length;
  const sum = $('sum-diagnostics');
  sum.replaceChildren(h('a', { href: '#diagnostics', class: errors > 0 ? 'bad' : warnings > 0 ? 'warn' : 'ok' }, `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`));
}

// ---------- explain ----------
function renderExplanation(e) {
  const items = [];
  const add = (term, ...desc) => items.push(h('dt', {}, term), h('dd', {}, ...desc));
  const r = e.request;
  add('Request', h('code', {}, `${r.scheme}://${r.hostHeader}${r.rawTarget}`), r.path !== undefined && r.path + (r.query ?? '') !== r.rawTarget ? ` — routed as ${r.path}${r.query ?? ''}` : '');
  if (e.host) add('Host', e.host.virtualHost ? `${e.host.host || '(no host)'} → virtual host ${e.host.virtualHost} (${e.host.match}): ` : '', e.host.reason);
  if (e.candidates.length > 0) {
    add(
      'Paths',
      h(
        'ol',
        {},
        e.candidates.map((c) => h('li', {}, h('span', { class: c.outcome === 'matched' ? 'ok' : c.outcome === 'no-match' ? 'bad' : 'hint' }, c.outcome === 'matched' ? 'match' : c.outcome === 'no-match' ? 'no match' : 'not tried'), ` ${c.pathType} `, h('code', {}, c.path), ` (${c.route}): ${c.reason}`)),
      ),
    );
  }
  if (e.decision) add('Decision', e.decision.reason);
  if (e.policy) {
    add('Policy', h('ul', { class: 'plain' }, e.policy.lines.map((l) => h('li', {}, h('code', {}, l.setting), ` ${l.value} (${l.source === 'flag' ? l.note ?? 'flag' : l.source})`, l.applies ? (l.source !== 'flag' && l.note ? ` — ${l.note}` : '') : ` — does not apply${l.note && l.source !== 'flag' ? `: ${l.note}` : ''}`))));
  }
  if (e.backend) {
    const b = e.backend;
    add('Backend', `${b.id}: ${b.eligible} of ${b.endpoints.length} endpoints eligible`, b.endpoints.length > 0 ? h('ul', { class: 'plain' }, b.endpoints.map((ep) => h('li', {}, h('code', {}, `${ep.address}:${ep.port}`), ` ${ep.state}${ep.ejected ? ', ejected' : ''} — ${ep.reason}`))) : '');
  }
  if (e.diagnostics.length > 0) {
    add('Diagnostics', h('ul', { class: 'plain' }, e.diagnostics.map((d) => h('li', {}, h('span', { class: `sev-${d.severity}` }, d.severity), ' ', h('a', { href: `/dashboard/diagnostics#${d.code.toLowerCase()}` }, d.code), `: ${d.message}`))));
  }
  add('Answer', h('span', { class: `answer ${e.served ? 'ok' : 'bad'}` }, e.answer.summary));
  const title = h('h3', { tabindex: '-1', id: 'explain-title' }, e.served ? 'Served by a backend' : 'Not served by a backend');
  return h('article', { class: 'trace', 'aria-labelledby': 'explain-title' }, title, h('dl', {}, items));
}

async function explain(url, focusResult = true) {
  const input = $('explain-url');
  input.value = url;
  const out = $('explain-result');
  const query = new URLSearchParams({ url });
  const header = $('explain-header').value.trim();
  if (header) query.append('header', header);
  out.replaceChildren(h('p', {}, 'Explaining…'));
  try {
    const { status, body } = await getJson(`/debug/explain?${query}`);
    if (status !== 200) {
      out.replaceChildren(h('p', { class: 'error', role: 'alert' }, body.error ?? `The admin port answered ${status}.`));
      return;
    }
    out.replaceChildren(renderExplanation(body));
    if (focusResult) {
      $('explain-title').focus();
      out.scrollIntoView({ block: 'nearest' });
    }
  } catch (err) {
    out.replaceChildren(h('p', { class: 'error', role: 'alert' }, `Cannot reach Gatehouse: ${err.message}`));
  }
}

// ---------- polling ----------
// The status is a live region: it changes only when readiness or reachability does, so screen
// readers are not told the time every 2 seconds (that goes in the silent line beside it).
function setStatus(text, ok) {
  const s = $('status');
  if (s.textContent !== text) s.textContent = text;
  s.className = `status ${ok ? 'ok' : 'bad'}`;
  if (ok) $('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
}

async function poll() {
  try {
    const [ready, traffic, builds] = await Promise.all([fetch('/readyz', { cache: 'no-store' }).then(async (r) => ({ ok: r.ok, text: (await r.text()).trim() })), getJson('/debug/traffic'), getJson('/debug/builds')]);
    state.traffic = traffic.status === 200 ? traffic.body : undefined;
    state.builds = builds.status === 200 ? builds.body.builds : [];
    const seq = state.builds.length > 0 ? state.builds[0].seq : 0;
    // Diagnostics can change without a build (a manifest that stops parsing): re-read them every 5th tick.
    const rebuild = seq !== state.seq;
    if (rebuild || state.tick % 5 === 0) {
      const [routes, diagnostics, tls] = await Promise.all([rebuild ? getJson('/debug/routes') : null, getJson('/debug/diagnostics'), rebuild ? getJson('/debug/tls') : null]);
      const text = JSON.stringify(diagnostics.body.diagnostics ?? []);
      const diagnosticsChanged = text !== state.diagnosticsText;
      state.diagnostics = diagnostics.body.diagnostics ?? [];
      state.diagnosticsText = text;
      if (rebuild) {
        state.seq = seq;
        state.table = routes && routes.body.applied ? routes.body.table : undefined;
        state.tls = tls && tls.status === 200 ? tls.body : undefined;
        renderHosts();
        renderBackends();
        renderCertificates();
        renderBuilds();
      }
      if (rebuild || diagnosticsChanged) renderDiagnostics();
      renderSummary();
    }
    applyTraffic();
    setStatus(ready.ok ? 'Ready' : ready.text, ready.ok);
  } catch (err) {
    setStatus(`Cannot reach Gatehouse (${err.message}); retrying`, false);
  } finally {
    state.tick++;
    setTimeout(poll, POLL_MS);
  }
}

$('explain-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const url = $('explain-url').value.trim();
  if (url) void explain(url);
});
void poll();
