import { useCallback, useId } from 'react'
import type { ReactNode, SyntheticEvent } from 'react'

export type DialogProps = {
  title: string
  /** A sentence under the title, read out when the dialog opens. */
  description?: ReactNode
  /** Called for Escape and the close button; the owner unmounts the dialog. */
  onClose: () => void
  /** `alert` for confirmations of something that cannot be undone. */
  role?: 'dialog' | 'alertdialog'
  size?: 'small' | 'large'
  children: ReactNode
}

function isVisible(element: Element): boolean {
  return element.isConnected && element.getClientRects().length > 0
}

/**
 * A modal dialog: the native `<dialog>` shown with `showModal()`, so the browser keeps focus
 * inside it and makes the page behind it inert. Render it to open it, unmount it to close it;
 * focus then goes back to whatever had it before, if that is still on screen. The element
 * marked `data-autofocus` gets focus when it opens.
 */
export function Dialog({
  title,
  description,
  onClose,
  role = 'dialog',
  size = 'small',
  children,
}: DialogProps) {
  const titleId = useId()
  const descriptionId = useId()

  const dialogRef = useCallback((dialog: HTMLDialogElement | null) => {
    if (!dialog) return
    const previous = document.activeElement
    dialog.showModal()
    // The browser focuses the first focusable element (the close button); a form would rather
    // start at its first field, and a confirmation at its safe choice.
    dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus()
    return () => {
      dialog.close()
      if (previous instanceof HTMLElement && isVisible(previous)) previous.focus()
    }
  }, [])

  function handleCancel(event: SyntheticEvent<HTMLDialogElement>) {
    // Escape: the owner decides, so React stays the one that opens and closes it.
    event.preventDefault()
    onClose()
  }

  return (
    <dialog
      ref={dialogRef}
      className="dialog"
      data-size={size}
      role={role === 'alertdialog' ? 'alertdialog' : undefined}
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      onCancel={handleCancel}
    >
      <div className="dialog-header">
        <h2 id={titleId}>{title}</h2>
        <button className="icon-button" type="button" onClick={onClose} aria-label="Close">
          <svg width="20" height="20" viewBox="0 0 24 24" aria-hidden="true">
            <path
              d="M6 6l12 12M18 6L6 18"
              stroke="currentColor"
              strokeWidth="2"
              strokeLinecap="round"
            />
          </svg>
        </button>
      </div>
      {description && (
        <div id={descriptionId} className="dialog-description">
          {description}
        </div>
      )}
      {children}
    </dialog>
  )
}
