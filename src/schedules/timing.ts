import { Cron } from 'croner'

/** The cron expression's next time strictly after `after`, on the clock of `timeZone`. */
export function nextCron(expression: string, timeZone: string, after: Date): Date | null {
  return new Cron(expression, { timezone: timeZone, mode: '5-or-6-parts' }).nextRun(after) ?? null
}

/** The cron expression's next `n` times after `after`. */
export function nextCrons(expression: string, timeZone: string, after: Date, n: number): Date[] {
  return new Cron(expression, { timezone: timeZone, mode: '5-or-6-parts' }).nextRuns(n, after)
}

/** Why a cron expression is not one croner runs (five or six fields), or undefined when it is. */
export function cronProblem(expression: string, timeZone: string): string | undefined {
  try {
    const next = nextCron(expression, timeZone, new Date())
    return next === null ? 'never runs again' : undefined
  } catch (err) {
    return err instanceof Error ? err.message.replace(/^CronPattern: /, '') : String(err)
  }
}

/**
 * How many times the expression came due in (from, to], up to `cap` (a schedule down for
 * long with a frequent expression is not counted to the last run).
 */
export function occurrencesBetween(
  expression: string,
  timeZone: string,
  from: Date,
  to: Date,
  cap = 1000,
): { count: number; last: Date | null } {
  let count = 0
  let last: Date | null = null
  let cursor = from
  for (;;) {
    const next = nextCron(expression, timeZone, cursor)
    if (!next || next > to || count >= cap) return { count, last }
    count++
    last = next
    cursor = next
  }
}
