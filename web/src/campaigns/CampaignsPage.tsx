import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { useApiClient } from '../api/ApiClientContext'
import { describeError } from '../api/client'
import { queryKeys } from '../api/queryKeys'
import type { Campaign, Page } from '../api/types'
import { NewCampaignForm } from './NewCampaignForm'
import { statusLabels } from './labels'

/** Campaigns: the list with live progress, and a form to make one (estimated first). */
export function CampaignsPage() {
  const api = useApiClient()
  const campaigns = useQuery({
    queryKey: queryKeys.campaigns,
    queryFn: ({ signal }) => api.listCampaigns(signal),
  })
  const [creating, setCreating] = useState(false)

  return (
    <article className="account-page">
      <header className="page-header">
        <div className="page-title">
          <h1>Campaigns</h1>
        </div>
        <p className="muted">
          One message to many contacts, at a pace you set. Opted-out contacts are always left out.
        </p>
        {!creating && (
          <div className="toolbar">
            <button className="button button-brand" type="button" onClick={() => setCreating(true)}>
              <span aria-hidden="true">+</span> New campaign
            </button>
          </div>
        )}
      </header>

      {creating && (
        <NewCampaignForm onClose={() => setCreating(false)} onCreated={() => setCreating(false)} />
      )}

      {campaigns.isPending ? (
        <p className="muted">Loading campaigns…</p>
      ) : campaigns.isError ? (
        <div className="card" role="alert">
          <p>{describeError(campaigns.error)}</p>
          <button className="button" type="button" onClick={() => void campaigns.refetch()}>
            Try again
          </button>
        </div>
      ) : campaigns.data.items.length === 0 ? (
        <p className="muted">No campaigns yet.</p>
      ) : (
        <ul className="campaign-list" aria-label="Campaigns">
          {campaigns.data.items.map((campaign) => (
            <CampaignItem key={campaign.id} campaign={campaign} />
          ))}
        </ul>
      )}
    </article>
  )
}

type CampaignItemProps = {
  campaign: Campaign
}

const percent = (rate: number | null) => (rate === null ? '–' : `${Math.round(rate * 100)} %`)

function CampaignItem({ campaign }: CampaignItemProps) {
  const api = useApiClient()
  const queryClient = useQueryClient()
  const [error, setError] = useState<string | null>(null)
  const action = useMutation({
    mutationFn: (name: 'start' | 'pause' | 'resume' | 'cancel') =>
      api.campaignAction(campaign.id, name),
    onSuccess: (updated) => {
      setError(null)
      queryClient.setQueryData<Page<Campaign>>(queryKeys.campaigns, (page) =>
        page
          ? { ...page, items: page.items.map((c) => (c.id === updated.id ? updated : c)) }
          : page,
      )
    },
    onError: (err) => setError(describeError(err)),
  })

  async function handleDownload() {
    try {
      const blob = await api.campaignReport(campaign.id)
      const url = URL.createObjectURL(blob)
      const link = document.createElement('a')
      link.href = url
      link.download = `campaign-${campaign.id}.csv`
      link.click()
      URL.revokeObjectURL(url)
    } catch (err) {
      setError(describeError(err))
    }
  }

  const { progress, status } = campaign
  const headingId = `campaign-${campaign.id}`
  const { counts } = progress
  const skipped = Object.entries(progress.skipped)
    .map(([reason, n]) => `${n} ${reason.replaceAll('_', ' ')}`)
    .join(', ')

  return (
    <li className="card campaign" aria-labelledby={headingId}>
      <div className="campaign-head">
        <h2 id={headingId}>{campaign.name}</h2>
        <span className="badge" data-campaign-status={status}>
          <span className="badge-dot" aria-hidden="true" />
          {statusLabels[status]}
        </span>
      </div>
      {campaign.statusReason && <p className="state-reason">{campaign.statusReason}</p>}
      <div className="campaign-progress">
        <progress
          max={100}
          value={progress.percent}
          aria-label={`${campaign.name}: progress`}
          aria-valuetext={`${progress.done} of ${progress.total} recipients done`}
        />
        <span>
          {progress.done} of {progress.total} ({progress.percent} %)
        </span>
      </div>
      <dl className="campaign-counts">
        <div>
          <dt>Sent</dt>
          <dd>{counts.sent + counts.delivered + counts.read + counts.replied}</dd>
        </div>
        <div>
          <dt>Delivered</dt>
          <dd>{percent(progress.deliveryRate)}</dd>
        </div>
        <div>
          <dt>Read</dt>
          <dd>{percent(progress.readRate)}</dd>
        </div>
        <div>
          <dt>Replied</dt>
          <dd>{percent(progress.replyRate)}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd>{counts.failed}</dd>
        </div>
        <div>
          <dt>Skipped</dt>
          <dd>{counts.skipped}</dd>
        </div>
      </dl>
      {skipped && <p className="muted">Skipped: {skipped}.</p>}
      <div className="toolbar">
        {(status === 'draft' || status === 'scheduled') && (
          <button
            className="button button-small button-brand"
            type="button"
            disabled={action.isPending}
            onClick={() => action.mutate('start')}
          >
            Start now
          </button>
        )}
        {status === 'running' && (
          <button
            className="button button-small"
            type="button"
            disabled={action.isPending}
            onClick={() => action.mutate('pause')}
          >
            Pause
          </button>
        )}
        {status === 'paused' && (
          <button
            className="button button-small"
            type="button"
            disabled={action.isPending}
            onClick={() => action.mutate('resume')}
          >
            Resume
          </button>
        )}
        {status !== 'completed' && status !== 'cancelled' && (
          <button
            className="button button-small button-danger"
            type="button"
            disabled={action.isPending}
            onClick={() => action.mutate('cancel')}
          >
            Cancel
          </button>
        )}
        {progress.total > 0 && (
          <button
            className="button button-small"
            type="button"
            onClick={() => void handleDownload()}
          >
            Download report (CSV)
          </button>
        )}
      </div>
      {error && (
        <p className="action-error" role="alert">
          {error}
        </p>
      )}
    </li>
  )
}
