/**
 * How often a schedule expression fires, read from its next fire times, so that the timeout,
 * the maximum event age and the stall window follow the real schedule.
 *
 * EventBridge Scheduler expressions: `rate(N unit)`, and `cron(minutes hours day-of-month month
 * day-of-week year)` with `*`, `?`, lists, ranges, steps and month/day names (Scheduler user
 * guide, "Schedule types"). `L`, `W`, `#` and one-time `at()` schedules are refused with a fix:
 * a poller needs a recurring schedule whose gaps can be known at synth time. Fire times are
 * computed in UTC (the construct sets no schedule time zone).
 */

/** The gaps between consecutive fire times of a schedule, in seconds. */
export interface SchedulePeriods {
  /** The shortest gap: what the timeout and the maximum event age must respect. */
  readonly minSeconds: number;
  /** The longest gap (nights, weekends): what a stall window must cover. */
  readonly maxSeconds: number;
}

/** A schedule whose period cannot be computed, with the fix in the message. */
export class SchedulePeriodError extends Error {
  override readonly name = 'SchedulePeriodError';
}

/** The periods of `expression`; throws SchedulePeriodError naming the fix when they cannot be known. */
export function schedulePeriods(expression: string): SchedulePeriods {
  const cached = cache.get(expression);
  if (cached) return cached;
  const periods = compute(expression.trim());
  cache.set(expression, periods);
  return periods;
}

/** The periods, or the reason they cannot be computed. */
export function trySchedulePeriods(expression: string): SchedulePeriods | { error: string } {
  try {
    return schedulePeriods(expression);
  } catch (error) {
    if (error instanceof SchedulePeriodError) return { error: error.message };
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------

const cache = new Map<string, SchedulePeriods>();
const UNIT_SECONDS: Readonly<Record<string, number>> = { minute: 60, minutes: 60, hour: 3600, hours: 3600, day: 86_400, days: 86_400 };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/** Fire times are enumerated over two years from a fixed Monday, so yearly patterns wrap once. */
const HORIZON_START = Date.UTC(2027, 0, 4);
const HORIZON_DAYS = 731;
const FIX = 'use rate(N minutes|hours|days) or a cron of plain numbers, ranges, lists and steps';

function compute(expression: string): SchedulePeriods {
  const rate = /^rate\(\s*(\d+)\s+(minutes?|hours?|days?)\s*\)$/.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    if (n < 1) throw new SchedulePeriodError(`schedule ${expression}: a rate must be at least 1`);
    const seconds = n * (UNIT_SECONDS[rate[2] ?? ''] ?? 0);
    return { minSeconds: seconds, maxSeconds: seconds };
  }
  if (expression.startsWith('at(')) {
    throw new SchedulePeriodError(`schedule ${expression}: a one-time at() schedule polls once and never again; ${FIX}`);
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) throw new SchedulePeriodError(`schedule ${expression}: not a rate() or cron() expression; ${FIX}`);
  const fields = (cron[1] ?? '').trim().split(/\s+/);
  if (fields.length !== 6) throw new SchedulePeriodError(`schedule ${expression}: a cron has 6 fields (minutes hours day-of-month month day-of-week year); ${FIX}`);
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) {
    throw new SchedulePeriodError(`schedule ${expression}: exactly one of day-of-month and day-of-week must be '?'`);
  }
  const at = (what: string, field: string, lo: number, hi: number, names?: readonly string[], base = lo) =>
    parseField(expression, what, field, lo, hi, names, base);
  const minutes = [...at('minutes', min, 0, 59)].sort((a, b) => a - b);
  const hours = [...at('hours', hour, 0, 23)].sort((a, b) => a - b);
  const days = dom === '?' ? undefined : at('day-of-month', dom, 1, 31);
  const months = at('month', month, 1, 12, MONTHS, 1);
  const weekdays = dow === '?' ? undefined : at('day-of-week', dow, 1, 7, DAYS, 1);
  const years = at('year', year, 1970, 2199);

  let previous: number | undefined;
  let minGap = Number.POSITIVE_INFINITY;
  let maxGap = 0;
  for (let d = 0; d < HORIZON_DAYS; d += 1) {
    const day = new Date(HORIZON_START + d * 86_400_000);
    if (!years.has(day.getUTCFullYear()) || !months.has(day.getUTCMonth() + 1)) continue;
    if (days && !days.has(day.getUTCDate())) continue;
    if (weekdays && !weekdays.has(day.getUTCDay() + 1)) continue;
    for (const h of hours) {
      for (const m of minutes) {
        const t = day.getTime() / 1000 + h * 3600 + m * 60;
        if (previous !== undefined) {
          const gap = t - previous;
          if (gap < minGap) minGap = gap;
          if (gap > maxGap) maxGap = gap;
        }
        previous = t;
      }
    }
  }
  if (maxGap === 0) throw new SchedulePeriodError(`schedule ${expression}: fires fewer than twice in ${HORIZON_DAYS} days from 2027; ${FIX}`);
  return { minSeconds: minGap, maxSeconds: maxGap };
}

/** One cron field as the set of values it allows. */
function parseField(expression: string, what: string, field: string, lo: number, hi: number, names: readonly string[] | undefined, base: number): Set<number> {
  const bad = (why: string) => new SchedulePeriodError(`schedule ${expression}: ${what} field "${field}" ${why}; ${FIX}`);
  if (/[LW#]/i.test(field.replace(/[A-Z]{3}/gi, (n) => (names?.includes(n.toUpperCase()) ? '0' : n)))) throw bad('uses L, W or #, whose gaps vary');
  const value = (text: string): number => {
    const named = names?.indexOf(text.toUpperCase()) ?? -1;
    const n = named >= 0 ? named + base : /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(n) || n < lo || n > hi) throw bad(`has "${text}" outside ${lo}-${hi}`);
    return n;
  };
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw bad(`has step "${stepText ?? ''}"`);
    let from: number;
    let to: number;
    if (range === '*' || range === '?') {
      [from, to] = [lo, hi];
    } else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      [from, to] = [value(a), value(b)];
      if (from > to) throw bad('has a range that wraps around');
    } else {
      from = value(range);
      to = stepText === undefined ? from : hi;
    }
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}
