import { Ajv } from 'ajv';
import { z } from 'zod';

/**
 * A zod schema's hot-path twin: its JSON Schema (zod's own `toJSONSchema`) compiled once by ajv into a
 * validator that checks a parsed body in place, without building the copy `safeParse` returns. Only for
 * schemas without transforms or defaults, whose parse result equals the input: then a value the twin
 * accepts can be used as it is, and anything it refuses goes through zod for the precise error
 * (`parseWith`). A schema zod cannot express in JSON Schema gets no twin and always takes zod's path.
 * `test/fast-schema.test.ts` checks on random and mutated bodies that twin and zod agree.
 */
export function fastSchema<T>(schema: z.ZodType<T>): { accepts(value: unknown): value is T; parse(value: unknown): z.ZodSafeParseResult<T> } {
  let accepts: (value: unknown) => boolean;
  try {
    const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false });
    accepts = ajv.compile(z.toJSONSchema(schema, { target: 'draft-7', unrepresentable: 'throw', io: 'input' }));
  } catch {
    accepts = () => false;
  }
  return {
    accepts: (value: unknown): value is T => accepts(value),
    parse: (value: unknown) => (accepts(value) ? { success: true, data: value as T } : schema.safeParse(value)) as z.ZodSafeParseResult<T>,
  };
}
