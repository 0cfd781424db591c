import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** The lines of a text file, streamed (a month of logs is never held in memory). CRLF is accepted. */
export async function* readLines(path: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    for await (const line of lines) yield line;
  } finally {
    lines.close();
  }
}

/** How many lines a file has (for a progress bar's total), counting a last line without a newline. */
export async function countLines(path: string): Promise<number> {
  let count = 0;
  let last = 10;
  for await (const chunk of createReadStream(path)) {
    const bytes = chunk as Buffer;
    for (let index = 0; index < bytes.length; index++) if (bytes[index] === 10) count += 1;
    if (bytes.length > 0) last = bytes[bytes.length - 1];
  }
  return last === 10 ? count : count + 1;
}
