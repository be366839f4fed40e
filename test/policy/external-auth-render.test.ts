// Filling external authentication templates from request facts (steps/external-auth-render.ts):
// every variable, nginx's set_escape_uri for $escaped_request_uri, $remote_user from Basic
// credentials, $http_NAME and $cookie_NAME in the cache key; values are inserted, never interpreted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAuthKeyTemplate, parseAuthUrlTemplate } from '../../src/core/annotations/auth-template.ts';
import { escapeUriComponent, renderAuthTemplate, type AuthRequestFacts } from '../../src/dataplane/steps/external-auth-render.ts';

const FACTS: AuthRequestFacts = {
  scheme: 'https',
  host: 'app.example.com',
  authority: 'app.example.com:8443',
  path: '/a b/ü',
  query: '?x=1&y=$z',
  method: 'PUT',
  clientIp: '2001:db8::7',
  localPort: 8443,
  requestId: 'req-1',
  headers: { authorization: `Basic ${Buffer.from('alice:s3cret:with:colons').toString('base64')}`, 'x-api-key': 'k1', cookie: 'a=1; _oauth2_proxy=sess; b=2' },
};

function render(template: string, key = false): string {
  const parsed = key ? parseAuthKeyTemplate(template) : parseAuthUrlTemplate(template);
  assert.ok(parsed.ok, template);
  return renderAuthTemplate(parsed.value, FACTS);
}

test('every URL variable is filled from the request facts', () => {
  assert.equal(
    render('$scheme://$host/v?a=$http_host&b=$best_http_host&c=$server_port&d=$request_uri&e=$uri&f=$args&g=$query_string&h=$is_args&i=$request_method&j=$remote_addr&k=$req_id&l=$pass_access_scheme'),
    'https://app.example.com/v?a=app.example.com:8443&b=app.example.com:8443&c=8443&d=/a b/ü?x=1&y=$z&e=/a b/ü&f=x=1&y=$z&g=x=1&y=$z&h=?&i=PUT&j=2001:db8::7&k=req-1&l=https',
  );
});

test('$escaped_request_uri: every byte but letters, digits and -._~ percent-encoded (UTF-8), as set_escape_uri', () => {
  assert.equal(escapeUriComponent('/a-b_c.d~e/?x=1&y=%20'), '%2Fa-b_c.d~e%2F%3Fx%3D1%26y%3D%2520');
  assert.equal(render('https://login.example.com/?rd=$escaped_request_uri'), 'https://login.example.com/?rd=%2Fa%20b%2F%C3%BC%3Fx%3D1%26y%3D%24z');
});

test('cache keys: $remote_user from Basic credentials, request headers and cookies by name', () => {
  assert.equal(render('$remote_user:$http_x_api_key:$cookie__oauth2_proxy:$cookie_missing:$http_authorization', true), `alice:k1:sess::Basic ${Buffer.from('alice:s3cret:with:colons').toString('base64')}`);
  const bearer = renderAuthTemplate([{ kind: 'var', name: 'remote_user' }], { ...FACTS, headers: { authorization: 'Bearer t' } });
  assert.equal(bearer, '', 'no Basic credentials: empty, as nginx');
});
