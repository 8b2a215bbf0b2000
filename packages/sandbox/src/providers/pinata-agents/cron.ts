/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week, UTC): `*`, numbers,
 * ranges, steps, lists, month and weekday names, and the `@hourly`-style macros. Day-of-month and
 * day-of-week restrict with OR when both are given, as in Vixie cron.
 */

export interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Whether day-of-month / day-of-week were restricted (not `*`). */
  dayRestricted: boolean;
  weekdayRestricted: boolean;
}

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** The first name's number (1 for months, 0 for weekdays). */
  base?: number;
}

const FIELDS: FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS, base: 1 },
  { name: "day-of-week", min: 0, max: 7, names: WEEKDAYS, base: 0 },
];

function value(text: string, field: FieldSpec): number {
  const named = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + (field.base ?? 0);
  if (!/^\d{1,2}$/.test(text)) throw new Error(`${field.name}: "${text}" is not a number`);
  const n = Number(text);
  if (n < field.min || n > field.max)
    throw new Error(`${field.name}: ${n} is outside ${field.min}-${field.max}`);
  return n;
}

function parseField(text: string, field: FieldSpec): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const [range = "", stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1 || !/^\d+$/.test(stepText ?? "1"))
      throw new Error(`${field.name}: bad step "${stepText}"`);
    let from: number;
    let to: number;
    if (range === "*") [from, to] = [field.min, field.max];
    else if (range.includes("-")) {
      const [a = "", b = ""] = range.split("-");
      [from, to] = [value(a, field), value(b, field)];
      if (from > to) throw new Error(`${field.name}: range ${range} runs backwards`);
    } else {
      from = value(range, field);
      to = stepText === undefined ? from : field.max;
    }
    for (let n = from; n <= to; n += step) out.add(field.name === "day-of-week" && n === 7 ? 0 : n);
  }
  return out;
}

/** Parses an expression, or throws an Error saying what is wrong with it. */
export function parseCron(expression: string): Cron {
  const text = MACROS[expression.trim().toLowerCase()] ?? expression.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 5)
    throw new Error(`expected 5 fields (minute hour day month weekday), got ${parts.length}`);
  const [minutes, hours, days, months, weekdays] = parts.map((part, i) =>
    parseField(part, FIELDS[i] as FieldSpec),
  ) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  const cron: Cron = {
    minutes,
    hours,
    days,
    months,
    weekdays,
    dayRestricted: parts[2] !== "*",
    weekdayRestricted: parts[4] !== "*",
  };
  if (nextRun(cron, Date.UTC(2000, 0, 1)) === null) throw new Error("the schedule never fires");
  return cron;
}

function dayMatches(cron: Cron, date: Date): boolean {
  const byDay = cron.days.has(date.getUTCDate());
  const byWeekday = cron.weekdays.has(date.getUTCDay());
  if (cron.dayRestricted && cron.weekdayRestricted) return byDay || byWeekday;
  if (cron.dayRestricted) return byDay;
  if (cron.weekdayRestricted) return byWeekday;
  return true;
}

/** The first firing strictly after `after` (epoch ms), within 8 years, or null. */
export function nextRun(cron: Cron, after: number): number | null {
  const date = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  const limit = after + 8 * 366 * 24 * 3600_000;
  while (date.getTime() <= limit) {
    if (!cron.months.has(date.getUTCMonth() + 1)) {
      date.setUTCMonth(date.getUTCMonth() + 1, 1);
      date.setUTCHours(0, 0, 0, 0);
    } else if (!dayMatches(cron, date)) {
      date.setUTCDate(date.getUTCDate() + 1);
      date.setUTCHours(0, 0, 0, 0);
    } else if (!cron.hours.has(date.getUTCHours())) {
      date.setUTCHours(date.getUTCHours() + 1, 0, 0, 0);
    } else if (!cron.minutes.has(date.getUTCMinutes())) {
      date.setUTCMinutes(date.getUTCMinutes() + 1, 0, 0);
    } else {
      return date.getTime();
    }
  }
  return null;
}
