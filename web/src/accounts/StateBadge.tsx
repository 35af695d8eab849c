import type { AccountState } from '../api/types'
import { stateLabels } from './labels'

export type StateBadgeProps = {
  state: AccountState
}

export function StateBadge({ state }: StateBadgeProps) {
  return (
    <span className="badge" data-state={state}>
      <span className="badge-dot" aria-hidden="true" />
      {stateLabels[state]}
    </span>
  )
}
