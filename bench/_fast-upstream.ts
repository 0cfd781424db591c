/**
 * A minimal OpenAI-compatible upstream for throughput benchmarks: fixed answers, real usage numbers,
 * no recording (the test fakes record every request, which would skew a long run).
 * Run as a child process: prints `listening <port>`.
 */
import { createServer } from 'node:http';

const answer = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'bench-model',
  choices: [{ index: 0, message: { role: 'assistant', content: 'The answer is 42.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 25, completion_tokens: 6, total_tokens: 31 },
});
const chunks = ['The ', 'answer ', 'is ', '42.'].map((piece) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'bench-model', choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })}\n\n`,
);
const tail =
  `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'bench-model', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n` +
  `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'bench-model', choices: [], usage: { prompt_tokens: 25, completion_tokens: 6, total_tokens: 31 } })}\n\n` +
  'data: [DONE]\n\n';
const chunkDelayMs = Number(process.env.BENCH_CHUNK_DELAY_MS ?? 0);

const server = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => (body += chunk));
  request.on('end', () => {
    if (body.includes('"stream":true')) {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      let index = 0;
      const next = () => {
        if (index < chunks.length) {
          response.write(chunks[index++]);
          if (chunkDelayMs > 0) setTimeout(next, chunkDelayMs);
          else next();
        } else response.end(tail);
      };
      next();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
    response.end(answer);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening ${typeof address === 'object' && address ? address.port : 0}`);
});
