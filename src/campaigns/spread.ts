/** How a campaign spreads its recipients over its accounts. */
export const spreadStrategies = ['round_robin', 'last_account', 'weighted'] as const
export type SpreadStrategy = (typeof spreadStrategies)[number]

/**
 * Chooses each recipient's account in audience order. Round robin takes the accounts in
 * turn; weighted spreads them in proportion to their weights, evenly interleaved (smooth
 * weighted round robin); last account keeps a contact on the account they last talked to
 * among the campaign's, and spreads the others round robin.
 */
export function accountChooser(
  strategy: SpreadStrategy,
  accounts: readonly string[],
  weights: Readonly<Record<string, number>> = {},
): (lastAccount?: string) => string {
  if (accounts.length === 0) throw new Error('a campaign needs at least one account')
  let turn = 0
  const roundRobin = () => accounts[turn++ % accounts.length]!
  if (strategy === 'round_robin') return roundRobin
  if (strategy === 'last_account') {
    const known = new Set(accounts)
    return (last) => (last !== undefined && known.has(last) ? last : roundRobin())
  }
  const w = accounts.map((a) => Math.max(0, weights[a] ?? 1))
  const total = w.reduce((s, x) => s + x, 0)
  if (total === 0) return roundRobin
  const current = accounts.map(() => 0)
  return () => {
    let best = 0
    for (let i = 0; i < accounts.length; i++) {
      current[i]! += w[i]!
      if (current[i]! > current[best]!) best = i
    }
    current[best]! -= total
    return accounts[best]!
  }
}
