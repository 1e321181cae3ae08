const args = process.argv.slice(2);

/** A numeric command-line option (`--name 42`), or the fallback when absent. */
export function numberArg(name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** A string option (`--name value`), or undefined when absent. */
export function stringArg(name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Whether a flag (`--name`) was given. */
export const flag = (name: string): boolean => args.includes(`--${name}`);
