import type { CampaignStatus, ScheduleStatus } from '../api/types'

export const statusLabels: Record<CampaignStatus, string> = {
  draft: 'Draft',
  scheduled: 'Scheduled',
  building: 'Preparing',
  running: 'Sending',
  paused: 'Paused',
  completed: 'Completed',
  cancelled: 'Cancelled',
}

export const scheduleStatusLabels: Record<ScheduleStatus, string> = {
  active: 'Active',
  paused: 'Paused',
  completed: 'Done',
}
