#!/usr/bin/env node
// Linda's command line. Runs the compiled server, compiling src/ first when it changed.
import { pathToFileURL } from 'node:url'
import { ensureServerBuilt, holdBuild } from './build-server.js'

process.setSourceMapsEnabled(true)
const entry = await ensureServerBuilt()
// The server keeps loading from its build (e.g. WhatsApp Web session workers): keep it.
holdBuild(entry)
await import(pathToFileURL(entry).href)
