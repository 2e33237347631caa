import type { OpenAPIObject } from '@nestjs/swagger';

/** One documented error of a route, as ApiErrors records it (`x-errors`). */
export interface ErrorRow {
  status: number;
  error: string;
  when: string;
}

interface Schema {
  type?: string;
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
  maximum?: number;
  nullable?: boolean;
  description?: string;
  $ref?: string;
  properties?: Record<string, Schema>;
  required?: string[];
}

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Array<Record<string, unknown>>;
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Schema }>;
  requestBody?: { content: Record<string, { schema?: Schema }> };
  responses?: Record<
    string,
    { description?: string; headers?: Record<string, { description?: string }> }
  >;
  'x-errors'?: ErrorRow[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const SCHEMES: Record<string, string> = {
  bearer: '`Authorization: Bearer`',
  basic: '`Authorization: Basic`',
};

/** The order of the sections, by the routes' tags; anything else comes last. */
const SECTIONS = ['super-client services', 'clients', 'oauth2', 'admin', 'operations'];

/**
 * docs/api.md: every route of the OpenAPI description the code generates (its decorators), with
 * its authentication, its fields and every error it answers. test/api-reference.e2e-spec.ts
 * fails when the committed file differs from what the code says; `npm run docs:api` rewrites
 * it.
 */
export function renderApiReference(document: OpenAPIObject): string {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Schema>;
  const resolve = (schema: Schema | undefined): Schema | undefined =>
    schema?.$ref ? schemas[schema.$ref.split('/').pop() ?? ''] : schema;
  const bySection = new Map<string, string[]>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      if (!operation) continue;
      const section = operation.tags?.at(-1) ?? 'other';
      const entries = bySection.get(section) ?? [];
      entries.push(renderOperation(method.toUpperCase(), path, operation, resolve));
      bySection.set(section, entries);
    }
  }
  const order = [...bySection.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return [
    '# tokenvakt HTTP API reference',
    '',
    'Generated from the OpenAPI description the code builds from its own decorators (`npm run',
    'docs:api` writes it; the test suite fails when it is out of date). The README explains the',
    'concepts and the choices behind them; this file lists every route, what it takes and every',
    'error it answers. The same description is served at `/docs` (and `/docs-json`).',
    '',
    'Every `/oauth2/...` and `/plugins...` route is also served under `/api/v1.0/` and',
    "`/api/v1.1/` (Kustvakt's paths). Form bodies are `application/x-www-form-urlencoded`",
    '(anything else: `415`), UTF-8, at most 64 KiB (`413`), each field at most once (`400`).',
    'Every error body is',
    '`{"error": "<code>", "error_description": "<sentence>"}`; every `401` carries a',
    '`WWW-Authenticate` challenge. Repeated failed credentials from one source answer `429` with',
    '`Retry-After`.',
    '',
    ...order.flatMap((section) => [`## ${section}`, '', ...(bySection.get(section) ?? [])]),
  ].join('\n');
}

function rank(section: string): number {
  const at = SECTIONS.indexOf(section);
  return at < 0 ? SECTIONS.length : at;
}

function renderOperation(
  method: string,
  path: string,
  operation: Operation,
  resolve: (schema: Schema | undefined) => Schema | undefined,
): string {
  const lines = [`### \`${method} ${path}\``, ''];
  if (operation.summary) lines.push(sentence(operation.summary), '');
  if (operation.description) lines.push(sentence(operation.description), '');
  const facts: string[] = [];
  const schemes = (operation.security ?? []).flatMap((entry) => Object.keys(entry));
  facts.push(
    `- **Authentication:** ${schemes.length === 0 ? 'none' : schemes.map((s) => SCHEMES[s] ?? s).join(' or ')}`,
  );
  for (const where of ['path', 'query'] as const) {
    const parameters = (operation.parameters ?? []).filter((p) => p.in === where);
    if (parameters.length > 0) {
      facts.push(
        `- **${where === 'path' ? 'Path' : 'Query'}:** ${parameters.map((p) => field(p.name, p.schema, p.required)).join(', ')}`,
      );
    }
  }
  for (const [mediaType, content] of Object.entries(operation.requestBody?.content ?? {})) {
    const body = resolve(content.schema);
    const fields = Object.entries(body?.properties ?? {}).map(([name, schema]) =>
      field(name, schema, body?.required?.includes(name)),
    );
    facts.push(`- **Body** (\`${mediaType}\`): ${fields.join(', ') || 'none'}`);
  }
  for (const [status, response] of Object.entries(operation.responses ?? {})) {
    if (Number(status) >= 400) continue;
    const headers = Object.entries(response.headers ?? {}).map(
      ([name, header]) => `; header \`${name}\`: ${header.description ?? ''}`,
    );
    facts.push(`- **${status}:** ${response.description ?? ''}${headers.join('')}`);
  }
  lines.push(...facts, '');
  const errors = [...(operation['x-errors'] ?? [])].sort((a, b) => a.status - b.status);
  if (errors.length > 0) {
    lines.push('| status | error | when |', '| --- | --- | --- |');
    for (const row of errors) lines.push(`| ${row.status} | \`${row.error}\` | ${row.when} |`);
    lines.push('');
  }
  return lines.join('\n');
}

/** `name` (required, enum, bounds): the facts a caller needs about one field. */
function field(name: string, schema: Schema | undefined, required: boolean | undefined): string {
  const facts: string[] = [];
  if (required) facts.push('required');
  if (schema?.enum) facts.push(schema.enum.map((v) => `\`${String(v)}\``).join(' \\| '));
  else if (schema?.type && schema.type !== 'string') facts.push(schema.type);
  if (schema?.minLength !== undefined && schema.maxLength !== undefined) {
    facts.push(`${schema.minLength}..${schema.maxLength} characters`);
  } else if (schema?.maxLength !== undefined) facts.push(`≤ ${schema.maxLength} characters`);
  if (schema?.maximum !== undefined) facts.push(`≤ ${schema.maximum}`);
  if (schema?.description) facts.push(schema.description);
  return facts.length === 0 ? `\`${name}\`` : `\`${name}\` (${facts.join(', ')})`;
}

function sentence(text: string): string {
  return /[.!?)]$/.test(text) ? text : `${text}.`;
}
