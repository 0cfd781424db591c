import { describe, expect, it } from 'vitest';
import { listedInputItem, toInputItems } from './input-items.ts';

describe('toInputItems', () => {
  it('gives every item a type and an id, keeping contents as sent', () => {
    const [text] = toInputItems('Hello');
    expect(text).toEqual({ type: 'message', id: expect.stringMatching(/^msg_[0-9a-f]{32}$/), role: 'user', content: 'Hello' });
    const items = toInputItems([
      { role: 'user', content: 'Hi' },
      { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
      { type: 'message', id: 'msg_mine', role: 'assistant', content: [{ type: 'output_text', text: 'Sunny.' }] },
    ]);
    expect(items).toEqual([
      { type: 'message', id: expect.stringMatching(/^msg_/), role: 'user', content: 'Hi' },
      { type: 'function_call_output', id: expect.stringMatching(/^fco_/), call_id: 'call_1', output: 'sunny' },
      { type: 'message', id: 'msg_mine', role: 'assistant', content: [{ type: 'output_text', text: 'Sunny.' }] },
    ]);
  });

  it('replaces an id the conversation already has, so a page cursor names one item', () => {
    const history = [{ type: 'message', id: 'msg_1', role: 'assistant', content: 'Paris.' }];
    const items = toInputItems([
      { type: 'message', id: 'msg_1', role: 'assistant', content: 'Paris.' },
      { type: 'message', id: 'msg_2', role: 'user', content: 'a' },
      { type: 'message', id: 'msg_2', role: 'user', content: 'b' },
    ], history);
    const ids = [...history, ...items].map((item) => item.id);
    expect(new Set(ids).size).toBe(4);
    expect(items[1].id).toBe('msg_2');
  });
});

describe('listedInputItem', () => {
  it('lists message contents as parts with a status, other items as stored', () => {
    expect(listedInputItem({ type: 'message', id: 'msg_1', role: 'user', content: 'Hi' })).toEqual({ type: 'message', id: 'msg_1', role: 'user', status: 'completed', content: [{ type: 'input_text', text: 'Hi' }] });
    expect(listedInputItem({ type: 'message', id: 'msg_2', role: 'assistant', content: 'Yo' }).content).toEqual([{ type: 'output_text', text: 'Yo', annotations: [] }]);
    const call = { type: 'function_call', id: 'fc_1', call_id: 'c', name: 'f', arguments: '{}', status: 'completed' };
    expect(listedInputItem(call)).toBe(call);
  });
});
