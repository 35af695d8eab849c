import { isSafePattern } from 'redos-detector'

/**
 * Regular expressions of rules run on every inbound message, so a pattern that can
 * backtrack catastrophically (`(a+)+$`) would let one message stall the bot. Two guards:
 * patterns are analysed when they are written (redos-detector, with a fixed step budget so
 * that the answer does not depend on the machine's load) and refused when their backtracking
 * can grow with the input; and they only ever see the first `REGEX_INPUT_LIMIT` characters
 * of a message.
 */
export const REGEX_INPUT_LIMIT = 1000

const ANALYSIS_STEPS = 2000

/** Why a pattern is refused, or undefined when it is a safe regular expression. */
export function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'iu')
  } catch (err) {
    return `is not a valid regular expression: ${err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err)}`
  }
  let safe: boolean
  try {
    safe = isSafePattern(pattern, { unicode: true, maxSteps: ANALYSIS_STEPS }).safe
  } catch {
    // A construct the analyser does not support (e.g. a backreference): refuse rather than guess.
    safe = false
  }
  if (safe) return undefined
  return 'could backtrack catastrophically on some messages (nested or overlapping repetition such as (a+)+ or (a|aa)*); anchor it with ^ and make repeated parts unambiguous'
}

/** A pattern's compiled form; the caller checked it with `regexProblem`. */
export function compileRegex(pattern: string): RegExp {
  return new RegExp(pattern, 'iu')
}
