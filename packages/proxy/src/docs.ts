import type { ProxyDefinition, ProxyEndpoint } from './define.js';

/**
 * A proxy's enumerations (upstream's `enums`): one line per parameter name with its values, under
 * `Enumerations:`; empty when it declares none.
 */
export function renderEnums(definition: ProxyDefinition): string {
  const names = Object.keys(definition.enums);
  if (names.length === 0) return '';
  return ['Enumerations:', ...names.map((name) => `- \`${name}\`: ${enumValues(definition.enums[name] ?? [])}`)].join('\n');
}

/**
 * A proxy's additional docs (upstream's `additional_docs`): each under a heading of `level`
 * (`###` → `### Additional doc: Real-Time Periods`), the text as written. Empty when it has none.
 */
export function renderAdditionalDocs(definition: ProxyDefinition, level: string): string {
  return Object.entries(definition.additionalDocs)
    .map(([title, text]) => `${level} Additional doc: ${title} (\`${definition.path}\`)\n${text.trim()}`)
    .join('\n\n');
}

function enumValues(values: readonly unknown[]): string {
  return values.map((value) => JSON.stringify(value)).join(' | ');
}

/** What a proxy adds below its listing: enumerations, then additional docs. */
function proxyNotes(definition: ProxyDefinition, level: string): string[] {
  const lines: string[] = [];
  const enums = renderEnums(definition);
  if (enums) lines.push(enums, '');
  const extra = renderAdditionalDocs(definition, level);
  if (extra) lines.push(extra, '');
  return lines;
}

/**
 * Markdown overview of proxies: name, path, description, categories with endpoint counts, then (as
 * upstream's `api_catalog`) each one's enumerations and additional docs.
 */
export function renderApiCatalog(proxies: readonly ProxyDefinition[]): string {
  if (proxies.length === 0) return 'No APIs are available.';
  const lines = ['# Available APIs', ''];
  for (const definition of proxies) {
    lines.push(`## ${definition.name} (\`${definition.path}\`)`, definition.description);
    const counts = new Map<string, number>();
    for (const endpoint of definition.endpoints) counts.set(endpoint.category, (counts.get(endpoint.category) ?? 0) + 1);
    lines.push(`Categories: ${[...counts].map(([category, count]) => `${category} (${count})`).join(', ') || 'none'}`, '');
    lines.push(...proxyNotes(definition, '###'));
  }
  return lines.join('\n').trimEnd();
}

/** Markdown list of each proxy's endpoints grouped by category (and sub-category). */
export function renderApiDirectory(proxies: readonly ProxyDefinition[]): string {
  if (proxies.length === 0) return 'No APIs are available.';
  const lines: string[] = [];
  for (const definition of proxies) {
    lines.push(`# ${definition.name} (\`${definition.path}\`)`);
    for (const category of definition.categories()) {
      lines.push(`## ${category}`);
      for (const endpoint of definition.endpoints.filter((candidate) => candidate.category === category)) {
        lines.push(
          `- \`${endpoint.fullPath}\`${endpoint.subCategory ? ` [${endpoint.subCategory}]` : ''}: ${endpoint.name}. ${firstSentence(endpoint.description)}`,
        );
      }
    }
    lines.push('', ...proxyNotes(definition, '##'));
  }
  return lines.join('\n').trimEnd();
}

/** One line per endpoint: `path  METHOD  name`. */
export function renderEndpointDirectory(endpoints: readonly ProxyEndpoint[]): string {
  const width = Math.max(0, ...endpoints.map((endpoint) => endpoint.fullPath.length));
  return endpoints
    .map((endpoint) => `${endpoint.fullPath.padEnd(width)}  ${endpoint.handler ? 'CALL' : endpoint.method.padEnd(4)}  ${endpoint.name}`)
    .join('\n');
}

/**
 * The full docs of one endpoint. A parameter named in `enums` (the proxy's enumerations) whose schema
 * lists no values of its own shows the enumeration's values.
 */
export function renderEndpointDocs(
  endpoint: ProxyEndpoint,
  cutoffIso: string | undefined,
  enums: Readonly<Record<string, readonly unknown[]>> = {},
): string {
  const lines = [`## ${endpoint.fullPath}`, `${endpoint.name}: ${endpoint.description}`];
  if (!endpoint.handler) lines.push(`Request: ${endpoint.method} ${endpoint.endpoint}`);
  const properties = (endpoint.parameters.properties ?? {}) as Record<string, Record<string, unknown>>;
  const names = Object.keys(properties);
  lines.push('', 'Parameters:');
  if (names.length === 0) lines.push('- (none)');
  for (const name of names) {
    const schema = properties[name] ?? {};
    const required = endpoint.required.includes(name);
    const text = typeof schema.description === 'string' ? schema.description.trim() : '';
    const description = text ? ` ${/[.!?:]$/.test(text) ? text : `${text}.`}` : '';
    const example = name in endpoint.examples ? ` Example: ${JSON.stringify(endpoint.examples[name])}.` : '';
    const defaultValue = 'default' in schema ? ` Default: ${JSON.stringify(schema.default)}.` : '';
    const shared = enums[name];
    const oneOf = shared && !Array.isArray(schema.enum) ? ` One of: ${enumValues(shared)}.` : '';
    lines.push(
      `- \`${name}\` (${schemaType(schema)}, ${required ? 'required' : 'optional'}, in ${endpoint.locations[name] ?? 'query'}):${description}${oneOf}${defaultValue}${example}`,
    );
  }
  lines.push('', `Example call: CALL_API(${JSON.stringify(endpoint.fullPath)}, ${JSON.stringify(endpoint.examples)})`);
  if (endpoint.dtCutoff && cutoffIso) lines.push(`Entries dated on or after ${cutoffIso} (by \`${endpoint.dtCutoff.key}\`) are withheld.`);
  if (endpoint.exampleResponse !== undefined) {
    const text = JSON.stringify(endpoint.exampleResponse, null, 2);
    lines.push('', 'Example response:', '```json', text.length > 2000 ? `${text.slice(0, 2000)}\n…` : text, '```');
  }
  return lines.join('\n');
}

function firstSentence(text: string): string {
  const single = text.replace(/\s+/g, ' ').trim();
  const end = single.search(/[.!?](\s|$)/);
  return end < 0 ? single : single.slice(0, end + 1);
}

/** One line per parameter: `city (string, required)`. */
export function describeParameters(endpoint: ProxyEndpoint): string {
  const properties = (endpoint.parameters.properties ?? {}) as Record<string, Record<string, unknown>>;
  const names = Object.keys(properties);
  if (names.length === 0) return 'no parameters';
  return names
    .map((name) => `${name} (${schemaType(properties[name] ?? {})}${endpoint.required.includes(name) ? ', required' : ''})`)
    .join(', ');
}

/** A short type name for a JSON schema. */
export function schemaType(schema: Record<string, unknown>): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((option) => JSON.stringify(option)).join(' | ');
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Record<string, unknown>[]).map(schemaType).join(' | ');
  if (Array.isArray(schema.type)) return schema.type.join(' | ');
  if (schema.type === 'array' && typeof schema.items === 'object' && schema.items !== null)
    return `${schemaType(schema.items as Record<string, unknown>)}[]`;
  return typeof schema.type === 'string' ? schema.type : 'any';
}
