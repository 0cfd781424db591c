/** `schema.table` → `"schema"."table"`, as the postgres client's own identifier escaping does. */
export function quoteIdentifier(name: string): string {
  return name.split('.').map((part) => `"${part.replace(/"/g, '""')}"`).join('.');
}
