#!/usr/bin/env node
// Linda's command line. Runs the compiled server, compiling src/ first when it changed.
import { ensureServerBuilt } from './build-server.js'

process.setSourceMapsEnabled(true)
await ensureServerBuilt()
await import('../dist/server/main.js')
