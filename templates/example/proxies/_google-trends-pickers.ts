// Google Trends' own category and location lists, for the `gt` proxy's `google_trends_categories` and
// `google_trends_geo` endpoints. The Python LLLM ships both lists as data files; here they are read live
// from the pickers Google Trends' explore page uses (no key, no cookie): GET
// https://trends.google.com/trends/api/explore/pickers/category?hl=en-US and …/pickers/geo?hl=en-US.
// Each answers JSON behind Google's anti-XSSI prefix (`)]}'`): a tree of `{ name, id, children }`. A
// category id can appear under several parents; a location's id is relative to its parent (`CA` under
// `US` is `US-CA`). The lists are flattened to upstream's shapes and kept for the life of the proxy.
// (The leading `_` keeps this helper out of proxy discovery.)

/** Where the pickers live; tests point it at a local server. */
export const GOOGLE_TRENDS_PICKERS = 'https://trends.google.com/trends/api/explore/pickers';

interface PickerNode {
  readonly id?: string | number;
  readonly name?: string;
  readonly children?: readonly PickerNode[];
}

/** One category, as upstream's `google-trends-categories.json` lists it. */
export interface TrendsCategory {
  readonly category_id: string;
  readonly category_description: string;
}

/** One location, as upstream's `google-trends-geo.json` lists it (`""` is worldwide). */
export interface TrendsGeo {
  readonly geo_id: string;
  readonly geo_description: string;
}

/** The JSON of a picker response: the anti-XSSI first line removed. */
export function parsePicker(text: string, what: string): PickerNode {
  const json = text.startsWith(")]}'") ? text.slice(text.indexOf('\n') + 1) : text;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(`Google Trends' ${what} list is not JSON: ${JSON.stringify(text.slice(0, 120))}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`Google Trends' ${what} list is not a tree of { name, id, children }: ${JSON.stringify(json.slice(0, 120))}`);
  }
  return value as PickerNode;
}

/** Every category once, parents before children (the root is "All categories", id 0). */
export function flattenCategories(root: PickerNode): TrendsCategory[] {
  const seen = new Set<string>();
  const list: TrendsCategory[] = [];
  // Depth-first without recursion; the tree is a few levels deep but has ~1,400 nodes.
  const stack: PickerNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as PickerNode;
    const id = String(node.id ?? '');
    if (node.name !== undefined && !seen.has(id)) {
      seen.add(id);
      list.push({ category_id: id, category_description: node.name });
    }
    for (const child of [...(node.children ?? [])].reverse()) stack.push(child);
  }
  return list;
}

/** Every location with its full code (`US`, `US-CA`, `US-CA-807`), parents before children. */
export function flattenGeo(root: PickerNode): TrendsGeo[] {
  const list: TrendsGeo[] = [];
  const stack: { node: PickerNode; code: string }[] = [{ node: root, code: String(root.id ?? '') }];
  while (stack.length > 0) {
    const { node, code } = stack.pop() as { node: PickerNode; code: string };
    if (node.name !== undefined) list.push({ geo_id: code, geo_description: node.name });
    const children = [...(node.children ?? [])].reverse();
    for (const child of children) {
      const id = String(child.id ?? '');
      stack.push({ node: child, code: code === '' ? id : `${code}-${id}` });
    }
  }
  return list;
}

/** Keep the entries whose description (or id) contains `query`, ignoring case; all when none is given. */
export function matching<T extends object>(list: readonly T[], query: string | undefined): T[] {
  if (!query) return [...list];
  const needle = query.toLowerCase();
  return list.filter((entry) => Object.values(entry).some((value) => String(value).toLowerCase().includes(needle)));
}

/** Reads a picker once per language and keeps it: the lists change rarely and are ~60–130 KB each. */
export class TrendsPickers {
  readonly #base: string;
  readonly #lists = new Map<string, Promise<PickerNode>>();

  constructor(base: string = GOOGLE_TRENDS_PICKERS) {
    this.#base = base.replace(/\/+$/, '');
  }

  async categories(hl: string, signal: AbortSignal): Promise<TrendsCategory[]> {
    return flattenCategories(await this.#picker('category', hl, signal));
  }

  async geo(hl: string, signal: AbortSignal): Promise<TrendsGeo[]> {
    return flattenGeo(await this.#picker('geo', hl, signal));
  }

  #picker(kind: 'category' | 'geo', hl: string, signal: AbortSignal): Promise<PickerNode> {
    const key = `${kind}\u0000${hl}`;
    let list = this.#lists.get(key);
    if (!list) {
      list = this.#read(kind, hl, signal);
      this.#lists.set(key, list);
      // A failed read is not kept: the next call tries again.
      list.catch(() => this.#lists.delete(key));
    }
    return list;
  }

  async #read(kind: 'category' | 'geo', hl: string, signal: AbortSignal): Promise<PickerNode> {
    const url = `${this.#base}/${kind}?hl=${encodeURIComponent(hl)}&tz=0`;
    const response = await fetch(url, { signal, headers: { accept: 'application/json' } });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`Google Trends' ${kind} list answered HTTP ${response.status} at ${url}: ${text.slice(0, 200)}`);
    }
    return parsePicker(text, kind === 'geo' ? 'location' : 'category');
  }
}
