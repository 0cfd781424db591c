import { describe, expect, it } from 'vitest';
import { formatTable } from './format-table.ts';

describe('formatTable', () => {
  it('aligns columns, right-aligns figures and prints no index column or quotes', () => {
    const text = formatTable([
      { model: 'gpt-4o', input: '2.5', share: '12.0%', kind: 'chat' },
      { model: 'qwen3-8b', input: '0.01', share: '88.0%', kind: undefined },
    ]);
    expect(text.split('\n')).toEqual([
      'model     input  share  kind',
      '--------  -----  -----  ----',
      'gpt-4o      2.5  12.0%  chat',
      'qwen3-8b   0.01  88.0%',
    ]);
  });

  it('takes columns from every row and counts "→" as one column', () => {
    const text = formatTable([{ a: 'x → y' }, { a: 'z', b: 3 }]);
    expect(text.split('\n')).toEqual(['a      b', '-----  -', 'x → y', 'z      3']);
  });

  it('prints nothing for no rows', () => {
    expect(formatTable([])).toBe('');
  });
});
