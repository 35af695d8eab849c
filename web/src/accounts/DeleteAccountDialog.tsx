import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useId, useState } from 'react'
import { useApiClient } from '../api/ApiClientContext'
import { forgetAccount } from '../api/cache'
import { describeError } from '../api/client'
import { queryKeys } from '../api/queryKeys'
import type { Account } from '../api/types'
import { Dialog } from '../app/Dialog'

export type DeleteAccountDialogProps = {
  account: Account
  onClose: () => void
  onDeleted: () => void
}

export function DeleteAccountDialog({ account, onClose, onDeleted }: DeleteAccountDialogProps) {
  const api = useApiClient()
  const queryClient = useQueryClient()
  const [purge, setPurge] = useState(false)
  const purgeId = useId()

  const remove = useMutation({
    mutationFn: (options: { purge: boolean }) => api.deleteAccount(account.id, options),
    onSuccess: async () => {
      forgetAccount(queryClient, account.id)
      onDeleted()
      // A state change published while it was being deleted must not bring it back.
      await queryClient.invalidateQueries({ queryKey: queryKeys.accounts })
    },
  })

  return (
    <Dialog
      title={`Delete ${account.name}?`}
      role="alertdialog"
      onClose={onClose}
      description={
        <p>
          The account disconnects and leaves Linda. Its conversations and messages are kept unless
          you delete them too. Contacts stay, they are shared by every account.
        </p>
      }
    >
      <label className="checkbox" htmlFor={purgeId}>
        <input
          id={purgeId}
          type="checkbox"
          checked={purge}
          onChange={(event) => setPurge(event.target.checked)}
        />
        <span>Also delete its messages and conversations</span>
      </label>
      {remove.isError && (
        <p className="form-error" role="alert">
          {describeError(remove.error)}
        </p>
      )}
      <div className="dialog-actions">
        <button className="button" type="button" onClick={onClose} data-autofocus="">
          Cancel
        </button>
        <button
          className="button button-danger-solid"
          type="button"
          disabled={remove.isPending}
          onClick={() => remove.mutate({ purge })}
        >
          {remove.isPending ? 'Deleting…' : 'Delete account'}
        </button>
      </div>
    </Dialog>
  )
}
