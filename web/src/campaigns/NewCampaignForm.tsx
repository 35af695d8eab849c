import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useId, useState } from 'react'
import type { FormEvent } from 'react'
import { useAccounts } from '../accounts/useAccounts'
import { useApiClient } from '../api/ApiClientContext'
import { describeError, fieldErrors } from '../api/client'
import { queryKeys } from '../api/queryKeys'
import type { Campaign, CampaignDryRun, CampaignInput, Page } from '../api/types'
import { TextField } from '../app/TextField'

export type NewCampaignFormProps = {
  onClose: () => void
  onCreated: (campaign: Campaign) => void
}

type AudienceKind = 'all' | 'tags' | 'list'

const reasonLabels: Record<string, string> = {
  opted_out: 'opted out',
  invalid_number: 'invalid number',
  outside_window: 'outside the 24-hour window',
  duplicate: 'duplicate',
  unknown_contact: 'unknown contact',
}

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`
  if (seconds < 3600) return `${Math.ceil(seconds / 60)} min`
  return `${Math.floor(seconds / 3600)} h ${Math.ceil((seconds % 3600) / 60)} min`
}

/** Makes a campaign: estimated with a dry run first, then created and started. */
export function NewCampaignForm({ onClose, onCreated }: NewCampaignFormProps) {
  const api = useApiClient()
  const queryClient = useQueryClient()
  const accounts = useAccounts()
  const ids = useId()
  const [name, setName] = useState('')
  const [accountId, setAccountId] = useState('')
  const [audience, setAudience] = useState<AudienceKind>('all')
  const [tags, setTags] = useState('')
  const [phones, setPhones] = useState('')
  const [text, setText] = useState('Hello {{firstName|there}}!')
  const [perMinute, setPerMinute] = useState('')
  const [quietStart, setQuietStart] = useState('')
  const [quietEnd, setQuietEnd] = useState('')
  const [estimate, setEstimate] = useState<CampaignDryRun | null>(null)

  const chosenAccount = accountId || accounts.data?.items[0]?.id || ''

  function input(): CampaignInput {
    return {
      name: name.trim(),
      accounts: chosenAccount ? [chosenAccount] : [],
      audience:
        audience === 'tags'
          ? {
              type: 'tags',
              any: tags
                .split(',')
                .map((t) => t.trim())
                .filter(Boolean),
            }
          : audience === 'list'
            ? {
                type: 'list',
                recipients: phones
                  .split(/[\n,;]+/)
                  .map((p) => p.trim())
                  .filter(Boolean)
                  .map((phone) => ({ phone })),
              }
            : { type: 'all' },
      message: { type: 'text', text },
      throttle: {
        perMinute: perMinute.trim() === '' ? null : Number(perMinute),
        quietHours:
          quietStart && quietEnd
            ? { start: quietStart, end: quietEnd, timezone: 'recipient' }
            : null,
      },
    }
  }

  const dryRun = useMutation({
    mutationFn: () => api.dryRunCampaign(input()),
    onSuccess: setEstimate,
  })
  const create = useMutation({
    mutationFn: async () => {
      const campaign = await api.createCampaign(input())
      return api.campaignAction(campaign.id, 'start')
    },
    onSuccess: (campaign) => {
      queryClient.setQueryData<Page<Campaign>>(queryKeys.campaigns, (page) =>
        page ? { ...page, items: [campaign, ...page.items] } : page,
      )
      onCreated(campaign)
    },
  })

  const failure = create.error ?? dryRun.error
  const errors = fieldErrors(failure)

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    create.mutate()
  }

  function handleChange<T>(set: (value: T) => void) {
    return (value: T) => {
      set(value)
      setEstimate(null)
    }
  }

  return (
    <section className="card" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>New campaign</h2>
      <form className="settings-form" onSubmit={handleSubmit} noValidate>
        <TextField
          label="Name"
          value={name}
          onValueChange={handleChange(setName)}
          error={errors.name}
          required
        />
        <div className="field">
          <label htmlFor={`${ids}-account`}>Send from</label>
          <select
            id={`${ids}-account`}
            value={chosenAccount}
            onChange={(e) => handleChange(setAccountId)(e.target.value)}
            aria-invalid={errors.accounts || errors['accounts.0'] ? true : undefined}
          >
            {accounts.data?.items.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
          {(errors.accounts || errors['accounts.0']) && (
            <p className="field-error">{errors.accounts ?? errors['accounts.0']}</p>
          )}
        </div>
        <fieldset className="choice-group">
          <legend>Audience</legend>
          {(
            [
              ['all', 'Every contact'],
              ['tags', 'Contacts with a tag'],
              ['list', 'A list of numbers'],
            ] as const
          ).map(([value, label]) => (
            <label key={value} className="checkbox">
              <input
                type="radio"
                name={`${ids}-audience`}
                value={value}
                checked={audience === value}
                onChange={() => handleChange(setAudience)(value)}
              />
              {label}
            </label>
          ))}
        </fieldset>
        {audience === 'tags' && (
          <TextField
            label="Tags"
            value={tags}
            onValueChange={handleChange(setTags)}
            hint="Separate tags with commas: contacts with any of them."
            error={errors.audience ?? errors['audience.any']}
          />
        )}
        {audience === 'list' && (
          <div className="field">
            <label htmlFor={`${ids}-phones`}>Phone numbers</label>
            <textarea
              id={`${ids}-phones`}
              rows={4}
              value={phones}
              onChange={(e) => handleChange(setPhones)(e.target.value)}
              aria-describedby={`${ids}-phones-hint`}
            />
            <p id={`${ids}-phones-hint`} className="hint">
              One per line, with the country code (+971…).
            </p>
          </div>
        )}
        <div className="field">
          <label htmlFor={`${ids}-text`}>Message</label>
          <textarea
            id={`${ids}-text`}
            rows={3}
            value={text}
            onChange={(e) => handleChange(setText)(e.target.value)}
            aria-invalid={errors['message.text'] ? true : undefined}
            aria-describedby={`${ids}-text-hint`}
          />
          {errors['message.text'] && <p className="field-error">{errors['message.text']}</p>}
          <p id={`${ids}-text-hint`} className="hint">
            {'{{name}}'}, {'{{firstName}}'} and contact attributes such as {'{{city}}'} are filled
            in; {'{{city|there}}'} gives a fallback.
          </p>
        </div>
        <div className="field-row">
          <TextField
            label="Messages a minute"
            optional
            inputMode="numeric"
            value={perMinute}
            onValueChange={handleChange(setPerMinute)}
            hint="Per account. Empty: as fast as the account sends."
            error={errors['throttle.perMinute']}
          />
          <div className="field-row">
            <TextField
              label="Quiet from"
              optional
              type="time"
              value={quietStart}
              onValueChange={handleChange(setQuietStart)}
              error={errors['throttle.quietHours.start']}
            />
            <TextField
              label="Quiet until"
              optional
              type="time"
              value={quietEnd}
              onValueChange={handleChange(setQuietEnd)}
              hint="On each recipient's clock."
              error={errors['throttle.quietHours.end']}
            />
          </div>
        </div>

        <div role="status" className="estimate">
          {estimate && (
            <p>
              <strong>{estimate.recipients}</strong> recipients of {estimate.audience}, about{' '}
              {duration(estimate.estimatedSeconds)}.
              {Object.keys(estimate.excluded).length > 0 &&
                ` Left out: ${Object.entries(estimate.excluded)
                  .map(([reason, n]) => `${n} ${reasonLabels[reason] ?? reason}`)
                  .join(', ')}.`}
            </p>
          )}
        </div>
        {failure && !Object.keys(errors).length && (
          <p className="action-error" role="alert">
            {describeError(failure)}
          </p>
        )}

        <div className="form-actions">
          <button className="button" type="button" onClick={onClose}>
            Close
          </button>
          <button
            className="button"
            type="button"
            disabled={dryRun.isPending}
            onClick={() => dryRun.mutate()}
          >
            {dryRun.isPending ? 'Estimating…' : 'Estimate'}
          </button>
          <button className="button button-primary" type="submit" disabled={create.isPending}>
            {create.isPending ? 'Starting…' : 'Create and start'}
          </button>
        </div>
      </form>
    </section>
  )
}
