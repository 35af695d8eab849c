#!/usr/bin/env node
// Linda's command line. Runs the compiled server, compiling src/ first when it changed.
import { pathToFileURL } from 'node:url'
import { ensureServerBuilt } from './build-server.js'

process.setSourceMapsEnabled(true)
const entry = await ensureServerBuilt()
await import(pathToFileURL(entry).href)
