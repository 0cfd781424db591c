/**
 * Builds a small deterministic value that satisfies a JSON schema (enough for the simulated provider's
 * answers: response_format json_schema and tool-call arguments). Every listed property is filled, and a
 * `required` name with no listed schema too; strings honour min/maxLength and the common formats,
 * numbers their bounds.
 */
export function exampleForSchema(schema: unknown, depth = 0): unknown {
  if (!schema || typeof schema !== 'object' || depth > 8) return null;
  const node = schema as Record<string, unknown>;
  if (Array.isArray(node.enum) && node.enum.length > 0) return node.enum[0];
  if ('const' in node) return node.const;
  const options = (node.anyOf ?? node.oneOf) as unknown[] | undefined;
  if (Array.isArray(options) && options.length > 0) return exampleForSchema(options[0], depth + 1);
  const type = Array.isArray(node.type) ? node.type[0] : node.type;
  switch (type) {
    case 'string':
      return exampleString(node);
    case 'integer':
    case 'number':
      return exampleNumber(node, type === 'integer');
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array': {
      const minItems = typeof node.minItems === 'number' ? node.minItems : 1;
      return Array.from({ length: Math.max(1, minItems) }, () => exampleForSchema(node.items, depth + 1));
    }
    default: {
      const properties = (node.properties ?? {}) as Record<string, unknown>;
      const result: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(properties)) result[key] = exampleForSchema(value, depth + 1);
      if (Array.isArray(node.required)) {
        for (const key of node.required) if (typeof key === 'string' && !(key in result)) result[key] = 'simulated';
      }
      return result;
    }
  }
}

const formatExamples: Record<string, string> = {
  date: '2025-01-01',
  'date-time': '2025-01-01T00:00:00Z',
  time: '00:00:00Z',
  email: 'simulated@example.com',
  uri: 'https://example.com/simulated',
  url: 'https://example.com/simulated',
  uuid: '00000000-0000-4000-8000-000000000000',
};

function exampleString(node: Record<string, unknown>): string {
  let text = (typeof node.format === 'string' ? formatExamples[node.format] : undefined) ?? 'simulated';
  if (typeof node.minLength === 'number' && text.length < node.minLength) text = text.padEnd(node.minLength, '-');
  if (typeof node.maxLength === 'number' && text.length > node.maxLength) text = text.slice(0, Math.max(0, node.maxLength));
  return text;
}

function exampleNumber(node: Record<string, unknown>, integer: boolean): number {
  const minimum = typeof node.minimum === 'number' ? node.minimum : typeof node.exclusiveMinimum === 'number' ? node.exclusiveMinimum + (integer ? 1 : 0.5) : undefined;
  const maximum = typeof node.maximum === 'number' ? node.maximum : typeof node.exclusiveMaximum === 'number' ? node.exclusiveMaximum - (integer ? 1 : 0.5) : undefined;
  let value = minimum ?? (maximum !== undefined && maximum < 1 ? maximum : 1);
  if (integer) value = Math.ceil(value);
  return value;
}
