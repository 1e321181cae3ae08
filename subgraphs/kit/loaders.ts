import DataLoader from 'dataloader';

/**
 * A per-request loader that batches lookups by id into one query and maps rows back by
 * `String(id)`; ids arrive as strings from `__resolveReference`.
 */
export function loaderById<T, K extends string = string>(
  fetch: (ids: readonly K[]) => Promise<T[]>,
  idOf: (row: T) => string,
): DataLoader<K, T | null> {
  return new DataLoader<K, T | null>(async (ids) => {
    const rows = await fetch(ids);
    const byId = new Map(rows.map((r) => [String(idOf(r)), r]));
    return ids.map((id) => byId.get(String(id)) ?? null);
  });
}

/** A per-request loader for one-to-many lookups (e.g. members of each team). */
export function loaderOfMany<T, K extends string = string>(
  fetch: (keys: readonly K[]) => Promise<T[]>,
  keyOf: (row: T) => string,
): DataLoader<K, T[]> {
  return new DataLoader<K, T[]>(async (keys) => {
    const rows = await fetch(keys);
    const grouped = new Map<string, T[]>();
    for (const row of rows) {
      const key = String(keyOf(row));
      let list = grouped.get(key);
      if (!list) grouped.set(key, (list = []));
      list.push(row);
    }
    return keys.map((k) => grouped.get(String(k)) ?? []);
  });
}

export const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
