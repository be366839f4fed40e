// The small plain-text answers Gatehouse gives itself (404, 502, 503, 504, rejections, redirects).
// Bodies are fixed text: nothing from the request is ever echoed into them.

export const REASONS: Readonly<Record<number, string>> = Object.freeze({
  200: 'OK',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  413: 'Content Too Large',
  414: 'URI Too Long',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
});

const bodies = new Map<number, Buffer>();

/** '404 Not Found\n' as bytes, cached per status. */
export function plainBody(status: number): Buffer {
  let b = bodies.get(status);
  if (b === undefined) {
    b = Buffer.from(`${status} ${REASONS[status] ?? 'Error'}\n`, 'latin1');
    bodies.set(status, b);
  }
  return b;
}

/** A complete HTTP/1.1 response for a raw socket (the upgrade path), always closing the connection. */
export function rawPlainResponse(status: number, extraHeaders: readonly string[] = []): string {
  const body = plainBody(status);
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\nserver: gatehouse\r\ndate: ${new Date().toUTCString()}\r\nconnection: close\r\n`;
  for (let i = 0; i + 1 < extraHeaders.length; i += 2) head += `${extraHeaders[i]}: ${extraHeaders[i + 1]}\r\n`;
  return `${head}\r\n${body.toString('latin1')}`;
}
