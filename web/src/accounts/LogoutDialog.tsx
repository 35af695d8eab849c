import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useApiClient } from '../api/ApiClientContext'
import { storeAccount } from '../api/cache'
import { describeError } from '../api/client'
import type { Account } from '../api/types'
import { Dialog } from '../app/Dialog'

export type LogoutDialogProps = {
  account: Account
  onClose: () => void
}

export function LogoutDialog({ account, onClose }: LogoutDialogProps) {
  const api = useApiClient()
  const queryClient = useQueryClient()

  const logout = useMutation({
    mutationFn: () => api.logoutAccount(account.id),
    onSuccess: (updated) => {
      storeAccount(queryClient, updated)
      onClose()
    },
  })

  return (
    <Dialog
      title={`Log out ${account.name}?`}
      role="alertdialog"
      onClose={onClose}
      description={
        <p>
          Linda stops the account and forgets its link to WhatsApp. To use it again, connect it
          {account.transport === 'baileys' ? ' and link the phone anew' : ' again'}. Messages and
          settings are kept.
        </p>
      }
    >
      {logout.isError && (
        <p className="form-error" role="alert">
          {describeError(logout.error)}
        </p>
      )}
      <div className="dialog-actions">
        <button className="button" type="button" onClick={onClose} data-autofocus="">
          Cancel
        </button>
        <button
          className="button button-danger-solid"
          type="button"
          disabled={logout.isPending}
          onClick={() => logout.mutate()}
        >
          {logout.isPending ? 'Logging out…' : 'Log out'}
        </button>
      </div>
    </Dialog>
  )
}
