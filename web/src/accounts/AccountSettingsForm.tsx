import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useId, useState } from 'react'
import type { FormEvent } from 'react'
import { useApiClient } from '../api/ApiClientContext'
import { storeAccount } from '../api/cache'
import { describeError, fieldErrors } from '../api/client'
import { uncertainPolicies } from '../api/types'
import type { Account, AccountSettings, UncertainPolicy } from '../api/types'
import { TextField } from '../app/TextField'

export type AccountSettingsFormProps = {
  account: Account
}

/** What the inputs hold: text, parsed when saving. */
type Draft = {
  displayName: string
  defaultCountry: string
  timezone: string
  sendRatePerSecond: string
  uncertainPolicy: UncertainPolicy
  adminNumbers: string
}

type SettingName = keyof Draft

const policyLabels: Record<UncertainPolicy, { title: string; description: string }> = {
  mark: {
    title: 'Mark as uncertain',
    description: 'A person looks at the message and decides whether to send it again.',
  },
  resend: {
    title: 'Send again',
    description: 'Linda sends it again. The contact may get it twice.',
  },
}

const timeZones = Intl.supportedValuesOf('timeZone')
const regionNames = new Intl.DisplayNames(undefined, { type: 'region', fallback: 'none' })

function toDraft(settings: AccountSettings): Draft {
  return {
    displayName: settings.displayName ?? '',
    defaultCountry: settings.defaultCountry ?? '',
    timezone: settings.timezone,
    sendRatePerSecond:
      settings.sendRatePerSecond === null ? '' : String(settings.sendRatePerSecond),
    uncertainPolicy: settings.uncertainPolicy,
    adminNumbers: settings.adminNumbers.join('\n'),
  }
}

function splitNumbers(text: string): string[] {
  return text
    .split(/[\n,;]+/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
}

function countryName(code: string): string | null {
  if (!/^[A-Za-z]{2}$/.test(code)) return null
  try {
    // ZZ is CLDR's "Unknown Region", not a country.
    const name = code.toUpperCase() === 'ZZ' ? undefined : regionNames.of(code.toUpperCase())
    return name && name.toUpperCase() !== code.toUpperCase() ? name : null
  } catch {
    return null
  }
}

type Parsed = { changes: Partial<AccountSettings>; errors: Partial<Record<SettingName, string>> }

/** The settings that differ from the account's, parsed, or why they cannot be. */
function parseChanges(draft: Draft, current: AccountSettings): Parsed {
  const changes: Partial<AccountSettings> = {}
  const errors: Partial<Record<SettingName, string>> = {}

  const displayName = draft.displayName.trim() || null
  if (displayName !== current.displayName) changes.displayName = displayName

  const defaultCountry = draft.defaultCountry.trim().toUpperCase() || null
  if (defaultCountry !== current.defaultCountry) changes.defaultCountry = defaultCountry

  const timezone = draft.timezone.trim()
  if (timezone !== current.timezone) changes.timezone = timezone

  const rateText = draft.sendRatePerSecond.trim()
  const rate = rateText === '' ? null : Number(rateText)
  if (rate !== null && !Number.isFinite(rate)) {
    errors.sendRatePerSecond = 'Enter a number, or leave it empty for no limit.'
  } else if (rate !== current.sendRatePerSecond) {
    changes.sendRatePerSecond = rate
  }

  if (draft.uncertainPolicy !== current.uncertainPolicy) {
    changes.uncertainPolicy = draft.uncertainPolicy
  }

  const adminNumbers = splitNumbers(draft.adminNumbers)
  if (adminNumbers.join('\n') !== current.adminNumbers.join('\n')) {
    changes.adminNumbers = adminNumbers
  }

  return { changes, errors }
}

/** The server's complaints by setting; `settings.adminNumbers.1` names the second number. */
function serverErrors(error: unknown, numbers: string[]): Partial<Record<SettingName, string>> {
  const errors: Partial<Record<SettingName, string>> = {}
  for (const [path, message] of Object.entries(fieldErrors(error))) {
    const [, setting, index] = path.split('.')
    if (path === 'settings') continue
    if (setting === 'adminNumbers' && index !== undefined) {
      const number = numbers[Number(index)]
      errors.adminNumbers ??= `${number ?? `Number ${String(Number(index) + 1)}`} ${message}`
    } else if (setting && isSettingName(setting)) {
      errors[setting] ??= message
    }
  }
  return errors
}

const settingNames: readonly string[] = [
  'displayName',
  'defaultCountry',
  'timezone',
  'sendRatePerSecond',
  'uncertainPolicy',
  'adminNumbers',
] satisfies SettingName[]

function isSettingName(name: string): name is SettingName {
  return settingNames.includes(name)
}

export function AccountSettingsForm({ account }: AccountSettingsFormProps) {
  const api = useApiClient()
  const queryClient = useQueryClient()
  const [draft, setDraft] = useState(() => toDraft(account.settings))
  const [localErrors, setLocalErrors] = useState<Partial<Record<SettingName, string>>>({})
  const [savedAt, setSavedAt] = useState<number | null>(null)
  const headingId = useId()
  const numbersId = useId()
  const policyId = useId()

  const save = useMutation({
    mutationFn: (settings: Partial<AccountSettings>) => api.updateAccount(account.id, { settings }),
    onSuccess: (updated) => {
      storeAccount(queryClient, updated)
      setDraft(toDraft(updated.settings))
      setSavedAt(Date.now())
    },
  })

  const { changes } = parseChanges(draft, account.settings)
  const dirty = Object.keys(changes).length > 0
  const errors = {
    ...(save.isError ? serverErrors(save.error, splitNumbers(draft.adminNumbers)) : {}),
    ...localErrors,
  }
  const unplaced = save.isError && Object.keys(errors).length === 0

  function update(name: SettingName, value: string) {
    setDraft((current) => ({ ...current, [name]: value }))
    setSavedAt(null)
  }

  function field(name: Exclude<SettingName, 'uncertainPolicy' | 'adminNumbers'>) {
    return {
      name,
      value: draft[name],
      onValueChange: (value: string) => update(name, value),
      error: errors[name],
    }
  }

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const parsed = parseChanges(draft, account.settings)
    setLocalErrors(parsed.errors)
    if (Object.keys(parsed.errors).length > 0 || Object.keys(parsed.changes).length === 0) return
    save.mutate(parsed.changes)
  }

  function handleReset() {
    setDraft(toDraft(account.settings))
    setLocalErrors({})
    save.reset()
  }

  const country = countryName(draft.defaultCountry.trim())
  const numbersHintId = `${numbersId}-hint`
  const numbersErrorId = `${numbersId}-error`

  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>Settings</h2>
      <form className="settings-form" onSubmit={handleSubmit} noValidate>
        <div className="settings-grid">
          <TextField
            label="Display name"
            autoComplete="off"
            optional
            hint="The name the account signs with."
            {...field('displayName')}
          />
          <TextField
            label="Default country"
            autoComplete="off"
            spellCheck={false}
            maxLength={2}
            optional
            className="uppercase"
            hint={
              country
                ? `${country}: numbers without a country code are read as its numbers.`
                : 'Two letters, e.g. AE. Numbers without a country code are read as its numbers.'
            }
            {...field('defaultCountry')}
          />
          <TextField
            label="Time zone"
            autoComplete="off"
            spellCheck={false}
            list={`${headingId}-zones`}
            hint="For business hours and schedules, e.g. Asia/Dubai."
            {...field('timezone')}
          />
          <datalist id={`${headingId}-zones`}>
            {timeZones.map((zone) => (
              <option key={zone} value={zone} />
            ))}
          </datalist>
          <TextField
            label="Send rate per second"
            type="number"
            inputMode="decimal"
            min={0}
            step="any"
            optional
            hint="Leave empty for no limit."
            {...field('sendRatePerSecond')}
          />
        </div>

        <div className="field">
          <label htmlFor={numbersId}>
            Admin numbers<span className="optional"> (optional)</span>
          </label>
          <textarea
            id={numbersId}
            name="adminNumbers"
            rows={3}
            spellCheck={false}
            value={draft.adminNumbers}
            onChange={(event) => update('adminNumbers', event.target.value)}
            aria-invalid={errors.adminNumbers ? true : undefined}
            aria-describedby={
              errors.adminNumbers ? `${numbersErrorId} ${numbersHintId}` : numbersHintId
            }
          />
          {errors.adminNumbers && (
            <p id={numbersErrorId} className="field-error">
              {errors.adminNumbers}
            </p>
          )}
          <p id={numbersHintId} className="hint">
            One per line, with a leading +. These numbers may run admin commands from WhatsApp.
          </p>
        </div>

        <fieldset className="choice-group" aria-describedby={`${policyId}-hint`}>
          <legend>When a send may or may not have reached WhatsApp</legend>
          <p id={`${policyId}-hint`} className="hint">
            This happens when Linda stops in the middle of a send.
          </p>
          {uncertainPolicies.map((policy) => (
            <label key={policy} className="choice">
              <input
                type="radio"
                name="uncertainPolicy"
                value={policy}
                checked={draft.uncertainPolicy === policy}
                onChange={() => update('uncertainPolicy', policy)}
              />
              <span className="choice-text">
                <span className="choice-title">{policyLabels[policy].title}</span>
                <span className="choice-description">{policyLabels[policy].description}</span>
              </span>
            </label>
          ))}
          {errors.uncertainPolicy && <p className="field-error">{errors.uncertainPolicy}</p>}
        </fieldset>

        {unplaced && (
          <p className="form-error" role="alert">
            {describeError(save.error)}
          </p>
        )}
        {save.isError && !unplaced && (
          <p className="visually-hidden" role="alert">
            Some settings need a change.
          </p>
        )}

        <div className="form-actions">
          <p className="hint" role="status">
            {savedAt
              ? 'Settings saved.'
              : dirty
                ? 'Saving reconnects the account if it is running.'
                : 'No changes.'}
          </p>
          <button className="button" type="button" onClick={handleReset} disabled={!dirty}>
            Discard changes
          </button>
          <button
            className="button button-primary"
            type="submit"
            disabled={!dirty || save.isPending}
          >
            {save.isPending ? 'Saving…' : 'Save settings'}
          </button>
        </div>
      </form>
    </section>
  )
}
