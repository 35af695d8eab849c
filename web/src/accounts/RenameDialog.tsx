import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { useApiClient } from '../api/ApiClientContext'
import { storeAccount } from '../api/cache'
import { describeError, fieldErrors } from '../api/client'
import type { Account } from '../api/types'
import { Dialog } from '../app/Dialog'
import { TextField } from '../app/TextField'

export type RenameDialogProps = {
  account: Account
  onClose: () => void
}

export function RenameDialog({ account, onClose }: RenameDialogProps) {
  const api = useApiClient()
  const queryClient = useQueryClient()
  const [name, setName] = useState(account.name)

  const rename = useMutation({
    mutationFn: (newName: string) => api.updateAccount(account.id, { name: newName }),
    onSuccess: (updated) => {
      storeAccount(queryClient, updated)
      onClose()
    },
  })

  const nameError = rename.isError ? fieldErrors(rename.error).name : undefined

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const trimmed = name.trim()
    if (trimmed === account.name) {
      onClose()
      return
    }
    rename.mutate(trimmed)
  }

  return (
    <Dialog title={`Rename ${account.name}`} onClose={onClose}>
      <form className="dialog-form" onSubmit={handleSubmit} noValidate>
        <TextField
          label="Name"
          name="name"
          autoComplete="off"
          autoFocusInDialog
          value={name}
          onValueChange={setName}
          error={nameError}
        />
        {rename.isError && !nameError && (
          <p className="form-error" role="alert">
            {describeError(rename.error)}
          </p>
        )}
        <div className="dialog-actions">
          <button className="button" type="button" onClick={onClose}>
            Cancel
          </button>
          <button className="button button-primary" type="submit" disabled={rename.isPending}>
            {rename.isPending ? 'Saving…' : 'Save name'}
          </button>
        </div>
      </form>
    </Dialog>
  )
}
