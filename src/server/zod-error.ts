import type { z } from 'zod';
import { errors } from '../errors/codes.ts';
import type { FrugalError } from '../errors/frugal-error.ts';

/** A schema violation → 400 naming the field (`messages[0].role`) and what was expected. */
export function schemaError(error: z.ZodError): FrugalError {
  const issue = error.issues[0];
  const param = issue.path.reduce<string>((path, part) => (typeof part === 'number' ? `${path}[${part}]` : path ? `${path}.${String(part)}` : String(part)), '');
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem(s))` : '';
  return errors.invalidRequest(`Invalid request: ${param || 'body'}: ${issue.message}${more}`, param || null);
}
