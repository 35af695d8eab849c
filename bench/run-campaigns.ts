// `node bin/run-ts.js bench/run-campaigns.ts [--quick]`: the campaigns and schedules section
// of `npm run bench` alone.
import { benchCampaigns, campaignBenchSizes } from './campaigns.js'

const result = await benchCampaigns({
  ...campaignBenchSizes(process.argv.includes('--quick')),
  log: (line) => process.stderr.write(`  … ${line}\n`),
})
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
