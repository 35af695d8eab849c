import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { useApiClient } from '../api/ApiClientContext'
import { storeAccount } from '../api/cache'
import { describeError } from '../api/client'
import type { Account, AccountState } from '../api/types'
import { DeleteAccountDialog } from './DeleteAccountDialog'
import { LogoutDialog } from './LogoutDialog'
import { RenameDialog } from './RenameDialog'

export type AccountActionsProps = {
  account: Account
  onDeleted: () => void
}

type Command = 'connect' | 'disconnect'
type OpenDialog = 'rename' | 'logout' | 'delete' | null

/** States in which the account is (or is trying to be) running, so it can be stopped. */
const runningStates: readonly AccountState[] = ['linking', 'connected', 'reconnecting']
/** States from which `connect` starts it. */
const stoppedStates: readonly AccountState[] = ['created', 'disconnected', 'logged_out', 'error']

export function AccountActions({ account, onDeleted }: AccountActionsProps) {
  const api = useApiClient()
  const queryClient = useQueryClient()
  const [dialog, setDialog] = useState<OpenDialog>(null)

  const command = useMutation({
    mutationFn: (name: Command) =>
      name === 'connect' ? api.connectAccount(account.id) : api.disconnectAccount(account.id),
    onSuccess: (updated) => storeAccount(queryClient, updated),
  })

  const busy = command.isPending
  const canConnect = stoppedStates.includes(account.state)
  const canDisconnect = runningStates.includes(account.state)
  const canLogOut = account.state !== 'logged_out' && account.state !== 'created'

  function handleClose() {
    setDialog(null)
  }

  return (
    <div className="account-actions">
      <div className="toolbar" role="group" aria-label="Account actions">
        {canConnect && (
          <button
            className="button button-brand"
            type="button"
            disabled={busy}
            onClick={() => command.mutate('connect')}
          >
            {busy && command.variables === 'connect' ? 'Connecting…' : 'Connect'}
          </button>
        )}
        {canDisconnect && (
          <button
            className="button"
            type="button"
            disabled={busy}
            onClick={() => command.mutate('disconnect')}
          >
            {busy && command.variables === 'disconnect' ? 'Disconnecting…' : 'Disconnect'}
          </button>
        )}
        {canLogOut && (
          <button
            className="button"
            type="button"
            disabled={busy}
            onClick={() => setDialog('logout')}
          >
            Log out
          </button>
        )}
        <button className="button" type="button" onClick={() => setDialog('rename')}>
          Rename
        </button>
        <button className="button button-danger" type="button" onClick={() => setDialog('delete')}>
          Delete
        </button>
      </div>

      {command.isError && (
        <p className="action-error" role="alert">
          {command.variables === 'connect' ? 'Could not connect: ' : 'Could not disconnect: '}
          {describeError(command.error)}
        </p>
      )}

      {dialog === 'rename' && <RenameDialog account={account} onClose={handleClose} />}
      {dialog === 'logout' && <LogoutDialog account={account} onClose={handleClose} />}
      {dialog === 'delete' && (
        <DeleteAccountDialog account={account} onClose={handleClose} onDeleted={onDeleted} />
      )}
    </div>
  )
}
