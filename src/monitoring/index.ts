export { Metrics } from './metrics.js'
export { healthRoutes } from './health.routes.js'
