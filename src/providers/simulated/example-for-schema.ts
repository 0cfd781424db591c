/** Builds a small value that satisfies a JSON schema (enough for the simulated provider's answers). */
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
      return 'simulated';
    case 'integer':
    case 'number':
      return typeof node.minimum === 'number' ? node.minimum : 1;
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
      return result;
    }
  }
}
