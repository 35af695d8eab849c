export { SchedulesService, type SchedulesDeps } from './schedules.service.js'
export { schedulesRoutes } from './schedules.routes.js'
export { remindCommand, parseWhen, type RemindCommand } from './remind.command.js'
export type { Schedule, ScheduleRun } from './schedules.schemas.js'
