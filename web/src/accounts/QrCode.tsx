import { create } from 'qrcode'
import { useMemo } from 'react'

export type QrCodeProps = {
  /** What the code encodes. */
  value: string
  /** Describes the image for people who cannot see it. */
  alt: string
  size?: number
}

/** Quiet zone around the code, in modules: scanners need it. */
const margin = 4

/** The QR code of `value` as an SVG data URL (one path of dark squares); null if it is too long. */
function qrDataUrl(value: string): string | null {
  let modules
  try {
    modules = create(value, { errorCorrectionLevel: 'M' }).modules
  } catch {
    return null
  }
  const side = modules.size + margin * 2
  let path = ''
  for (let y = 0; y < modules.size; y += 1) {
    for (let x = 0; x < modules.size; x += 1) {
      if (modules.get(y, x)) path += `M${String(x + margin)} ${String(y + margin)}h1v1h-1z`
    }
  }
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${String(side)} ${String(side)}" shape-rendering="crispEdges">` +
    `<rect width="100%" height="100%" fill="#fff"/><path d="${path}" fill="#111b21"/></svg>`
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`
}

export function QrCode({ value, alt, size = 264 }: QrCodeProps) {
  const src = useMemo(() => qrDataUrl(value), [value])
  if (!src) return <p className="field-error">This code is too long to show as a QR code.</p>
  return <img className="qr-code" src={src} alt={alt} width={size} height={size} />
}
