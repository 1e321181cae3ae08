/**
 * CPU time of processes on this machine, from /proc (Linux only: elsewhere every reading is
 * undefined and benches leave the figure out). A bench reads it before and after a run to say
 * what each part of the system spent per request: on a machine whose cores the servers, the
 * database and the load generator share, that figure is far steadier than a latency tail.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux architecture Node supports

/** Fields of /proc/<pid>/stat after the command name, which may itself hold spaces. */
function statOf(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User and system CPU seconds a process has used, its finished threads included. */
export function cpuSecondsOf(pid: number): number | undefined {
  const fields = statOf(pid);
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
  return fields ? (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND : undefined;
}

/** A process and its children (PostgreSQL's postmaster and its backends), as they are now. */
export function withChildren(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children = entries.filter((e) => /^\d+$/.test(e) && statOf(Number(e))?.[1] === String(pid)).map(Number);
  return [pid, ...children];
}

/**
 * The local PostgreSQL server (postmaster) that runs this backend, or undefined when the database
 * is elsewhere (its backend's pid means nothing here) or /proc cannot tell.
 */
export function postmasterOf(backendPid: number): number | undefined {
  const isPostgres = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres');
    } catch {
      return false;
    }
  };
  const ppid = Number(statOf(backendPid)?.[1]);
  return isPostgres(backendPid) && isPostgres(ppid) ? ppid : undefined;
}

/**
 * Starts measuring the CPU each named group of processes spends; the returned function gives the
 * seconds spent since, per group. Groups are listed again at the end: a process that started
 * meanwhile (a new database connection) counts in full, one that ended is left out.
 */
export function startCpuMeter(groups: () => Record<string, number[]>): () => Record<string, number> {
  const before = new Map<number, number>();
  for (const pids of Object.values(groups())) for (const pid of pids) {
    const s = cpuSecondsOf(pid);
    if (s !== undefined) before.set(pid, s);
  }
  return () => {
    const spent: Record<string, number> = {};
    for (const [name, pids] of Object.entries(groups())) {
      let total: number | undefined;
      for (const pid of pids) {
        const s = cpuSecondsOf(pid);
        if (s !== undefined) total = (total ?? 0) + s - (before.get(pid) ?? 0);
      }
      if (total !== undefined) spent[name] = total;
    }
    return spent;
  };
}

/** The machine's CPU ticks: all of them, and those stolen (a virtual CPU ready to run while the hypervisor ran another guest). */
function machineTicks(): { stolen: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    // user nice system idle iowait irq softirq steal (guest time is already counted in user and nice)
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    return { stolen: ticks[7] ?? 0, total: ticks.reduce((sum, t) => sum + t, 0) };
  } catch {
    return undefined;
  }
}

/**
 * Starts measuring the share of this machine's CPU time stolen by the hypervisor; the returned
 * function gives it since (undefined where /proc cannot tell). Steal is noise from outside the
 * machine: a run that had much of it says so next to its tail.
 */
export function startStealMeter(): () => number | undefined {
  const before = machineTicks();
  return () => {
    const after = machineTicks();
    return before && after && after.total > before.total ? (after.stolen - before.stolen) / (after.total - before.total) : undefined;
  };
}
