import { describe, expect, it } from 'vitest';
import { evalCompress } from './eval-compress.ts';

const padding = Array.from({ length: 40 }, (_, index) => `Section ${index} describes the garden shed and its blue door.`).join('\n\n');

describe('evalCompress', () => {
  it('reports ratio, retention and throughput, and lists bad lines instead of failing', async () => {
    const lines = [
      JSON.stringify({ context: `${padding}\n\nThe harbour crane lifts 40 tonnes.\n\n${padding}`, question: 'How much does the harbour crane lift?', answers: ['40 tonnes'] }),
      '',
      '{not json',
      JSON.stringify({ context: 'x', question: 'q' }),
      JSON.stringify({ context: `${padding}\n\nThe mayor is Ines Varga.`, question: 'Who is the mayor?', answers: ['Ines Varga', 'Varga'] }),
    ];
    const result = await evalCompress(lines, { targetRatio: 5 });
    expect(result.rows).toBe(2);
    expect(result.retention).toBe(1);
    expect(result.ratio).toBeGreaterThan(3);
    expect(result.mb_per_s).toBeGreaterThan(0);
    expect(result.skipped.map((skip) => skip.line)).toEqual([3, 4]);
    expect(result.skipped[1].error).toContain('answers');
  });

  it('counts a row as lost when no gold answer survives', async () => {
    async function* lines() {
      yield JSON.stringify({ context: `${padding}\n\nUnrelated: the moon is far away.`, question: 'What colour is the door?', answers: ['the moon'] });
    }
    const result = await evalCompress(lines(), { maxContextTokens: 20 });
    expect(result.rows).toBe(1);
    expect(result.retention).toBe(0);
  });
});
