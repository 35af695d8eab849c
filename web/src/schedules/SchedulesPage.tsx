import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { useApiClient } from '../api/ApiClientContext'
import { describeError } from '../api/client'
import { queryKeys } from '../api/queryKeys'
import type { Page, Schedule } from '../api/types'
import { scheduleStatusLabels } from '../campaigns/labels'

const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

function formatTime(iso: string | null): string {
  return iso ? when.format(new Date(iso)) : '–'
}

/** Scheduled messages: the next runs, and every schedule with pause and resume. */
export function SchedulesPage() {
  const api = useApiClient()
  const schedules = useQuery({
    queryKey: queryKeys.schedules,
    queryFn: ({ signal }) => api.listSchedules(signal),
    refetchInterval: 15_000,
  })
  const upcoming = useQuery({
    queryKey: queryKeys.upcoming,
    queryFn: ({ signal }) => api.upcomingRuns(signal),
    refetchInterval: 15_000,
  })

  return (
    <article className="account-page">
      <header className="page-header">
        <div className="page-title">
          <h1>Schedules</h1>
        </div>
        <p className="muted">
          Messages sent once or on a cron schedule, in their own time zone. Admins can add one from
          WhatsApp with <code>!remind in 2h …</code>.
        </p>
      </header>

      <section className="card" aria-labelledby="upcoming-heading">
        <h2 id="upcoming-heading">Upcoming</h2>
        {upcoming.isPending ? (
          <p className="muted">Loading…</p>
        ) : upcoming.isError ? (
          <p role="alert">{describeError(upcoming.error)}</p>
        ) : upcoming.data.items.length === 0 ? (
          <p className="muted">Nothing in the next seven days.</p>
        ) : (
          <ol className="upcoming-list">
            {upcoming.data.items.map((run) => (
              <li key={`${run.scheduleId}-${run.at}`}>
                <time dateTime={run.at}>{formatTime(run.at)}</time> {run.name}
              </li>
            ))}
          </ol>
        )}
      </section>

      {schedules.isPending ? (
        <p className="muted">Loading schedules…</p>
      ) : schedules.isError ? (
        <div className="card" role="alert">
          <p>{describeError(schedules.error)}</p>
        </div>
      ) : schedules.data.items.length === 0 ? (
        <p className="muted">No schedules yet.</p>
      ) : (
        <table className="schedule-table">
          <caption className="visually-hidden">All schedules</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">When</th>
              <th scope="col">Next run</th>
              <th scope="col">Runs</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {schedules.data.items.map((schedule) => (
              <ScheduleRow key={schedule.id} schedule={schedule} />
            ))}
          </tbody>
        </table>
      )}
    </article>
  )
}

type ScheduleRowProps = {
  schedule: Schedule
}

function ScheduleRow({ schedule }: ScheduleRowProps) {
  const api = useApiClient()
  const queryClient = useQueryClient()
  const [error, setError] = useState<string | null>(null)
  const action = useMutation({
    mutationFn: (name: 'pause' | 'resume') => api.scheduleAction(schedule.id, name),
    onSuccess: (updated) => {
      setError(null)
      queryClient.setQueryData<Page<Schedule>>(queryKeys.schedules, (page) =>
        page
          ? { ...page, items: page.items.map((s) => (s.id === updated.id ? updated : s)) }
          : page,
      )
      void queryClient.invalidateQueries({ queryKey: queryKeys.upcoming })
    },
    onError: (err) => setError(describeError(err)),
  })

  return (
    <tr>
      <th scope="row">{schedule.name}</th>
      <td>
        {schedule.kind === 'cron' ? <code>{schedule.cron}</code> : formatTime(schedule.at)}{' '}
        <span className="muted">({schedule.timezone})</span>
      </td>
      <td>{formatTime(schedule.nextRunAt)}</td>
      <td>{schedule.runs}</td>
      <td>{scheduleStatusLabels[schedule.status]}</td>
      <td>
        {schedule.status === 'active' && (
          <button
            className="button button-small"
            type="button"
            disabled={action.isPending}
            onClick={() => action.mutate('pause')}
            aria-label={`Pause ${schedule.name}`}
          >
            Pause
          </button>
        )}
        {schedule.status === 'paused' && (
          <button
            className="button button-small"
            type="button"
            disabled={action.isPending}
            onClick={() => action.mutate('resume')}
            aria-label={`Resume ${schedule.name}`}
          >
            Resume
          </button>
        )}
        {error && (
          <p className="action-error" role="alert">
            {error}
          </p>
        )}
      </td>
    </tr>
  )
}
