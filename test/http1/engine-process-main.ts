// Child-process entry for the engine's memory test: an Http1Engine alone on 127.0.0.1 whose
// handler answers every request at once with its target as the body, so the test can measure the
// engine's own memory (VmHWM) apart from the test's client. Talks to the parent over IPC.
import { createServer, type AddressInfo } from 'node:net';
import { Http1Engine } from '../../src/dataplane/http1/http1-engine.ts';

let answered = 0;
const engine = new Http1Engine({
  onRequest(ex) {
    answered++;
    ex.respond(200, ['content-type', 'text/plain'], ex.head.target);
  },
  // Every request of the flood is answered here: the memory bound is what is measured, not the
  // pipelining cap (which closes the connection after 17 and has its own test).
}, { maxPipelinedRequests: Infinity });
const server = createServer({ noDelay: true }, (s) => engine.serve(s));
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on('message', (m: unknown) => {
  if (m === 'stats') process.send?.({ answered, memory: process.memoryUsage() });
  if (m === 'stop') {
    engine.close();
    server.close(() => process.exit(0));
  }
});
