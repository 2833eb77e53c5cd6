/**
 * A JSON object assembled from the items of W&B records (history, summary, config): each item
 * sets one key path (`key`, or `nested_key` for a nested one) to a JSON text. Values keep the text
 * their writer wrote, so a row is uploaded exactly as it was recorded (NaN tokens, number
 * spellings and all). Pure.
 */
import { parseWandbJson, wandbJson } from './wandb-json.js';

/** An item of a HistoryRecord, SummaryRecord or ConfigRecord. */
export interface RecordItem {
  readonly key?: string;
  readonly nestedKey?: readonly string[];
  readonly valueJson?: string;
}

/** A value: its JSON text, or an object being assembled. */
type Node = string | Map<string, Node>;

export class JsonTree {
  private readonly root = new Map<string, Node>();

  /** Top-level keys. */
  get size(): number {
    return this.root.size;
  }

  /** Sets each item's path to its value. */
  update(items: readonly RecordItem[] | undefined): this {
    for (const item of items ?? []) {
      const path = itemPath(item);
      if (path.length > 0) this.set(path, item.valueJson || 'null');
    }
    return this;
  }

  /** Removes each item's path. */
  remove(items: readonly RecordItem[] | undefined): this {
    for (const item of items ?? []) {
      const path = itemPath(item);
      const parent = this.walk(path.slice(0, -1), false);
      if (parent && path.length > 0) parent.delete(path.at(-1)!);
    }
    return this;
  }

  set(path: readonly string[], json: string): void {
    // Line breaks can only be whitespace between tokens in JSON: they go, so a value fits the
    // one-line-per-row history file.
    const text = /[\r\n]/.test(json) ? json.replace(/[\r\n]+/g, ' ') : json;
    this.walk(path.slice(0, -1), true)!.set(path.at(-1)!, text);
  }

  /** The object as JSON text. */
  toJson(): string {
    return objectJson(this.root);
  }

  /** The object as a value (W&B JSON parsed). */
  toValue(): Record<string, unknown> {
    return parseWandbJson(this.toJson()) as Record<string, unknown>;
  }

  /** The object at `path`; with `create`, made where missing (an object given as text is opened up). */
  private walk(path: readonly string[], create: boolean): Map<string, Node> | undefined {
    let node = this.root;
    for (const key of path) {
      let child = node.get(key);
      if (typeof child === 'string') child = create ? openObject(child) : undefined;
      if (!child) {
        if (!create) return undefined;
        child = new Map();
      }
      node.set(key, child);
      node = child;
    }
    return node;
  }
}

/** The key path of an item: its `nested_key` when it has one, else its `key`. */
export function itemPath(item: RecordItem): string[] {
  if (item.nestedKey && item.nestedKey.length > 0) return [...item.nestedKey];
  return item.key ? [item.key] : [];
}

function objectJson(node: Map<string, Node>): string {
  const members: string[] = [];
  for (const [key, value] of node) {
    members.push(`${JSON.stringify(key)}:${typeof value === 'string' ? value : objectJson(value)}`);
  }
  return `{${members.join(',')}}`;
}

/** An object written as text, as a node whose members can be set; anything else starts empty. */
function openObject(json: string): Map<string, Node> {
  let value: unknown;
  try {
    value = parseWandbJson(json);
  } catch {
    return new Map();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return new Map();
  return new Map(Object.entries(value).map(([key, member]) => [key, wandbJson(member)]));
}
