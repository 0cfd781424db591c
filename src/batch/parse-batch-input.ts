import { z } from 'zod';
import { chatRequestSchema, embeddingRequestSchema } from '../protocol/openai/chat-schema.ts';

/** The endpoints a batch line may call. */
export const BATCH_URLS = ['/v1/chat/completions', '/v1/embeddings'] as const;
export type BatchUrl = (typeof BATCH_URLS)[number];

/** One valid input line. */
export interface BatchInputLine {
  lineNumber: number;
  customId: string;
  url: BatchUrl;
  request: Record<string, unknown>;
}

/** A problem with one line; `line` is 1-based, counting the file's physical lines. */
export interface BatchInputError {
  line: number;
  message: string;
}

const lineSchema = z.strictObject({
  custom_id: z.string().min(1, 'custom_id must not be empty').max(512),
  method: z.literal('POST', { error: 'method must be "POST"' }),
  url: z.enum(BATCH_URLS, { error: `url must be one of ${BATCH_URLS.join(', ')}` }),
  body: z.record(z.string(), z.unknown(), { error: 'body must be a JSON object' }),
});

export interface ParseBatchInputOptions {
  maxLines: number;
  /** Whether a model or route name exists; unknown ones are reported by line. */
  knownModel?: (name: string) => boolean;
  /** Every line must call this endpoint (the batch's `endpoint`). */
  endpoint?: string;
}

/**
 * Validates a batch input file line by line, so an error names the line it is on: JSON syntax,
 * the line shape, a unique `custom_id`, a body the endpoint accepts (non-streamed) and a known model.
 * Blank lines are skipped. Collects up to 20 errors so a user can fix a file in one pass.
 */
export function parseBatchInput(content: string, options: ParseBatchInputOptions): { lines: BatchInputLine[]; errors: BatchInputError[] } {
  const lines: BatchInputLine[] = [];
  const errors: BatchInputError[] = [];
  const seen = new Map<string, number>();
  const physical = content.split('\n');
  for (let index = 0; index < physical.length && errors.length < 20; index++) {
    const text = physical[index].trim();
    if (text === '') continue;
    const line = index + 1;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      errors.push({ line, message: `not valid JSON (${(error as Error).message})` });
      continue;
    }
    const parsed = lineSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      errors.push({ line, message: `${where}${issue.message}` });
      continue;
    }
    const { custom_id: customId, url, body } = parsed.data;
    const first = seen.get(customId);
    if (first !== undefined) {
      errors.push({ line, message: `custom_id '${customId}' is already used on line ${first}; each custom_id must be unique` });
      continue;
    }
    seen.set(customId, line);
    if (options.endpoint !== undefined && url !== options.endpoint) {
      errors.push({ line, message: `url ${url} differs from the batch endpoint ${options.endpoint}` });
      continue;
    }
    const bodyError = checkBody(url, body, options.knownModel);
    if (bodyError) {
      errors.push({ line, message: bodyError });
      continue;
    }
    lines.push({ lineNumber: line, customId, url, request: body });
    if (lines.length > options.maxLines) {
      errors.push({ line, message: `the file has more than ${options.maxLines} requests` });
      break;
    }
  }
  if (lines.length === 0 && errors.length === 0) errors.push({ line: 1, message: 'the file has no requests' });
  return { lines, errors };
}

function checkBody(url: BatchUrl, body: Record<string, unknown>, knownModel: ParseBatchInputOptions['knownModel']): string | undefined {
  const schema = url === '/v1/chat/completions' ? chatRequestSchema : embeddingRequestSchema;
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `body.${issue.path.join('.')}: ${issue.message}`;
  }
  if (body.stream === true) return 'body.stream: batch requests cannot be streamed';
  if (knownModel && !knownModel(parsed.data.model)) return `body.model: the model '${parsed.data.model}' does not exist`;
  return undefined;
}

/** Formats errors for a 400 response: "Line 3: …; line 7: …". */
export function describeInputErrors(errors: BatchInputError[]): string {
  return `Invalid batch input file: ${errors.map((error) => `line ${error.line}: ${error.message}`).join('; ')}`;
}
