/** Invoice periods are UTC calendar months, named by their first day, e.g. "2026-03-01". */
export function periodStartOf(at: Date): string {
  return `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, '0')}-01`;
}
