import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useRef, useState } from 'react'
import type { FormEvent } from 'react'
import { useApiClient } from '../api/ApiClientContext'
import { storeAccount } from '../api/cache'
import { describeError, fieldErrors } from '../api/client'
import type { Account, CreateAccountInput, Transport } from '../api/types'
import { Dialog } from '../app/Dialog'
import { TextField } from '../app/TextField'
import { transportLabels } from './labels'

export type AddAccountDialogProps = {
  onClose: () => void
  onCreated: (account: Account) => void
}

const defaultGraphBaseUrl = 'https://graph.facebook.com'
const defaultApiVersion = 'v21.0'

const transportDescriptions: Record<Transport, string> = {
  sandbox: 'A simulated WhatsApp to try Linda with. No phone needed.',
  cloud: "Meta's official WhatsApp Business Platform, with your app's credentials.",
  baileys: 'Link a WhatsApp number as a device, the way WhatsApp Web does.',
}

const transports: Transport[] = ['sandbox', 'cloud', 'baileys']

/** The form's values by the API's field path without `body.` (e.g. `cloud.accessToken`). */
type Values = {
  name: string
  'cloud.phoneNumberId': string
  'cloud.wabaId': string
  'cloud.accessToken': string
  'cloud.appSecret': string
  'cloud.verifyToken': string
  'cloud.graphBaseUrl': string
  'cloud.apiVersion': string
  'baileys.phone': string
}

type FieldName = keyof Values

const fieldsOf: Record<Transport, FieldName[]> = {
  sandbox: ['name'],
  cloud: [
    'name',
    'cloud.phoneNumberId',
    'cloud.wabaId',
    'cloud.accessToken',
    'cloud.appSecret',
    'cloud.verifyToken',
    'cloud.graphBaseUrl',
    'cloud.apiVersion',
  ],
  baileys: ['name', 'baileys.phone'],
}

const initialValues: Values = {
  name: '',
  'cloud.phoneNumberId': '',
  'cloud.wabaId': '',
  'cloud.accessToken': '',
  'cloud.appSecret': '',
  'cloud.verifyToken': '',
  'cloud.graphBaseUrl': defaultGraphBaseUrl,
  'cloud.apiVersion': defaultApiVersion,
  'baileys.phone': '',
}

function toInput(transport: Transport, values: Values): CreateAccountInput {
  const name = values.name.trim()
  const value = (field: FieldName) => values[field].trim()
  switch (transport) {
    case 'sandbox':
      return { transport, name }
    case 'cloud': {
      const wabaId = value('cloud.wabaId')
      return {
        transport,
        name,
        cloud: {
          phoneNumberId: value('cloud.phoneNumberId'),
          ...(wabaId ? { wabaId } : {}),
          // Secrets are sent exactly as pasted.
          accessToken: values['cloud.accessToken'],
          appSecret: values['cloud.appSecret'],
          verifyToken: values['cloud.verifyToken'],
          graphBaseUrl: value('cloud.graphBaseUrl') || defaultGraphBaseUrl,
          apiVersion: value('cloud.apiVersion') || defaultApiVersion,
        },
      }
    }
    case 'baileys': {
      const phone = value('baileys.phone').replace(/[\s()-]/g, '')
      return { transport, name, baileys: phone ? { phone } : {} }
    }
  }
}

export function AddAccountDialog({ onClose, onCreated }: AddAccountDialogProps) {
  const api = useApiClient()
  const queryClient = useQueryClient()
  const [transport, setTransport] = useState<Transport>('sandbox')
  const [values, setValues] = useState<Values>(initialValues)
  const formRef = useRef<HTMLFormElement>(null)

  const create = useMutation({
    mutationFn: (input: CreateAccountInput) => api.createAccount(input),
    onSuccess: (account) => {
      storeAccount(queryClient, account)
      onCreated(account)
    },
    onError: () => {
      // After the errors render: take the user to the first field that needs a change.
      requestAnimationFrame(() => {
        formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus()
      })
    },
  })

  const errors = create.isError ? fieldErrors(create.error) : {}
  if (errors['baileys.phone'] && values['baileys.phone'].trim() === '') {
    // A server that cannot link by QR code alone needs the number.
    errors['baileys.phone'] = 'Enter the number to link, e.g. +971501234567.'
  }
  const shown = new Set<string>(fieldsOf[transport])
  const otherErrors = Object.entries(errors).filter(([path]) => !shown.has(path))
  const formError = create.isError && (Object.keys(errors).length === 0 || otherErrors.length > 0)

  function field(name: FieldName) {
    return {
      value: values[name],
      onValueChange: (value: string) => setValues((current) => ({ ...current, [name]: value })),
      error: errors[name],
      name,
    }
  }

  function handleTransportChange(next: Transport) {
    setTransport(next)
    create.reset()
  }

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    create.mutate(toInput(transport, values))
  }

  return (
    <Dialog title="Add an account" onClose={onClose} size="large">
      <form ref={formRef} className="dialog-form" onSubmit={handleSubmit} noValidate>
        <fieldset className="choice-group">
          <legend>Type</legend>
          {transports.map((kind) => (
            <label key={kind} className="choice">
              <input
                type="radio"
                name="transport"
                value={kind}
                checked={transport === kind}
                onChange={() => handleTransportChange(kind)}
              />
              <span className="choice-text">
                <span className="choice-title">{transportLabels[kind]}</span>
                <span className="choice-description">{transportDescriptions[kind]}</span>
              </span>
            </label>
          ))}
        </fieldset>

        <TextField
          label="Name"
          autoComplete="off"
          autoFocusInDialog
          hint="Shown in this dashboard only, e.g. Support or Sales."
          {...field('name')}
        />

        {transport === 'cloud' && (
          <fieldset className="field-group">
            <legend>Cloud API credentials</legend>
            <p className="hint">
              From your app in Meta for Developers, under WhatsApp → API Setup. Secrets are stored
              encrypted and never shown again.
            </p>
            <div className="field-row">
              <TextField
                label="Phone number ID"
                inputMode="numeric"
                autoComplete="off"
                spellCheck={false}
                hint="Meta's id of the number, not the number itself."
                {...field('cloud.phoneNumberId')}
              />
              <TextField
                label="Business account ID"
                inputMode="numeric"
                autoComplete="off"
                spellCheck={false}
                optional
                hint="The WhatsApp Business Account (WABA) id."
                {...field('cloud.wabaId')}
              />
            </div>
            <TextField
              label="Access token"
              type="password"
              autoComplete="off"
              spellCheck={false}
              hint="A system user token with whatsapp_business_messaging."
              {...field('cloud.accessToken')}
            />
            <div className="field-row">
              <TextField
                label="App secret"
                type="password"
                autoComplete="off"
                spellCheck={false}
                hint="Checks that webhooks come from Meta."
                {...field('cloud.appSecret')}
              />
              <TextField
                label="Verify token"
                type="password"
                autoComplete="off"
                spellCheck={false}
                hint="Any phrase; enter the same one at Meta."
                {...field('cloud.verifyToken')}
              />
            </div>
            <div className="field-row">
              <TextField
                label="Graph API base URL"
                type="url"
                inputMode="url"
                autoComplete="off"
                spellCheck={false}
                hint={
                  <>
                    Default: <code>{defaultGraphBaseUrl}</code>
                  </>
                }
                {...field('cloud.graphBaseUrl')}
              />
              <TextField
                label="API version"
                autoComplete="off"
                spellCheck={false}
                hint={
                  <>
                    Default: <code>{defaultApiVersion}</code>
                  </>
                }
                {...field('cloud.apiVersion')}
              />
            </div>
          </fieldset>
        )}

        {transport === 'baileys' && (
          <TextField
            label="Phone number"
            type="tel"
            inputMode="tel"
            autoComplete="off"
            spellCheck={false}
            placeholder="+971501234567"
            optional
            hint="The WhatsApp number to link, in international format with a leading +. With a number you can link by pairing code; without one, by QR code."
            {...field('baileys.phone')}
          />
        )}

        {formError && (
          <div className="form-error" role="alert">
            <p>{describeError(create.error)}</p>
            {otherErrors.length > 0 && (
              <ul>
                {otherErrors.map(([path, message]) => (
                  <li key={path}>
                    <code>{path}</code> {message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        {create.isError && !formError && (
          <p className="visually-hidden" role="alert">
            {Object.keys(errors).length === 1
              ? 'One field needs a change.'
              : `${String(Object.keys(errors).length)} fields need a change.`}
          </p>
        )}

        <div className="dialog-actions">
          <button className="button" type="button" onClick={onClose}>
            Cancel
          </button>
          <button className="button button-primary" type="submit" disabled={create.isPending}>
            {create.isPending ? 'Adding…' : 'Add account'}
          </button>
        </div>
      </form>
    </Dialog>
  )
}
