/**
 * The floor for any Node gateway: node:http in, undici out, JSON parsed and re-serialized both ways,
 * and nothing else. The overhead benchmark runs it beside Frugal so that what Frugal adds can be split
 * into "being a Node proxy at all" and "Frugal's own work". Prints `listening <port>`.
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';

const pool = new Pool(process.env.UPSTREAM_ORIGIN!, { connections: 128 });
const server = createServer(async (request, response) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
  const upstream = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const payload = JSON.stringify(JSON.parse(await upstream.body.text()));
  response.writeHead(upstream.statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  response.end(payload);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening ${typeof address === 'object' && address ? address.port : 0}`);
});
