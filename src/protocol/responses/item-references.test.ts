import { describe, expect, it } from 'vitest';
import { FrugalError } from '../../errors/frugal-error.ts';
import { resolveItemReferences } from './item-references.ts';

const stored = { type: 'message', id: 'msg_a1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Paris.', annotations: [] }] };
const lookup = async (id: string) => (id === 'msg_a1' ? stored : undefined);

describe('resolveItemReferences', () => {
  it('swaps each reference for the stored item, in place, leaving other items as sent', async () => {
    const user = { role: 'user', content: 'Capital of France?' };
    const next = { role: 'user', content: 'Population?' };
    expect(await resolveItemReferences([user, { type: 'item_reference', id: 'msg_a1' }, next], lookup)).toEqual([user, stored, next]);
  });

  it('answers 404 item_not_found naming the input position for an item the tenant has not stored', async () => {
    const failure = await resolveItemReferences([{ role: 'user', content: 'x' }, { type: 'item_reference', id: 'msg_zz' }], lookup).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FrugalError);
    expect(failure).toMatchObject({ status: 404, code: 'item_not_found', param: 'input[1].id', message: "Item with id 'msg_zz' not found." });
    await expect(resolveItemReferences([{ type: 'item_reference' }], lookup)).rejects.toMatchObject({ status: 400, param: 'input[0].id' });
  });
});
